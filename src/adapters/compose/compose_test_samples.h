// Samples captured from docker-compose 1.29.2 and dockerd 20.10 on a machine of
// this project's kind (project "madrecapture3041": db healthy, worker exited 3,
// web with profiles), trimmed of unrelated inspect fields. Compose v2 samples
// are written from the documented output of Compose 2.x.
#pragma once

namespace madre::testdata {

// `docker-compose -p madrecapture3041 config` (v1 YAML).
inline constexpr const char kV1ConfigYaml[] = R"yaml(services:
  db:
    command:
    - sleep
    - '300'
    healthcheck:
      interval: 1s
      test:
      - CMD
      - /bin/busybox
      - "true"
    image: madre-capture-busybox:1
    labels:
      vx11.health.timeout_sec: '20'
    stop_grace_period: 1m30s
  web:
    command:
    - sleep
    - '300'
    container_name: madre_capture_web
    depends_on:
      db:
        condition: service_started
    image: madre-capture-busybox:1
    labels:
      vx11.health.url: http://127.0.0.1:8002/health
    profiles:
    - extra
  worker:
    command:
    - sh
    - -c
    - exit 3
    depends_on:
      db:
        condition: service_healthy
    healthcheck:
      test:
      - NONE
    image: madre-capture-busybox:1
version: '3.8'

)yaml";

// `docker-compose -p madrecapture3041 ps -a -q`.
inline constexpr const char kV1PsIds[] =
    R"ids(7290a692e2568839ea99f9cdb4c56faca72c22e45d3867cc3d408338a015fb25
025b1350d901baf1345a512ffe7d018bb501d5aa6f6223aebe7a4738c83c82ad
)ids";

// `docker inspect <the two ids above>` (trimmed).
inline constexpr const char kInspectJson[] = R"json([
    {
        "Id": "7290a692e2568839ea99f9cdb4c56faca72c22e45d3867cc3d408338a015fb25",
        "Created": "2026-11-24T02:27:47.67825602Z",
        "Path": "/bin/busybox",
        "Args": [
            "sleep",
            "300"
        ],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 13356,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2026-11-24T02:27:47.889240676Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {
                "Status": "healthy",
                "FailingStreak": 0,
                "Log": [
                    {
                        "Start": "2026-11-24T02:27:48.890242853Z",
                        "End": "2026-11-24T02:27:48.936535931Z",
                        "ExitCode": 0,
                        "Output": ""
                    }
                ]
            }
        },
        "Image": "sha256:a9eb91d45263b04ca105c57cf696e076c016e8c4a059bcfa8ffb8168a1da25cf",
        "Name": "/madrecapture3041_db_1",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": {
            "RestartPolicy": {
                "Name": "",
                "MaximumRetryCount": 0
            }
        },
        "Config": {
            "Hostname": "7290a692e256",
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            ],
            "Cmd": [
                "sleep",
                "300"
            ],
            "Healthcheck": {
                "Test": [
                    "CMD",
                    "/bin/busybox",
                    "true"
                ],
                "Interval": 1000000000
            },
            "Image": "madre-capture-busybox:1",
            "Entrypoint": [
                "/bin/busybox"
            ],
            "Labels": {
                "com.docker.compose.config-hash": "549ae1bcac184743021ec47e0e33204cb55404831b46eaf8e188df60062e2894",
                "com.docker.compose.container-number": "1",
                "com.docker.compose.oneoff": "False",
                "com.docker.compose.project": "madrecapture3041",
                "com.docker.compose.project.config_files": "docker-compose.yml",
                "com.docker.compose.project.working_dir": "/tmp/madre-compose-capture.9IcK",
                "com.docker.compose.service": "db",
                "com.docker.compose.version": "1.29.2",
                "vx11.health.timeout_sec": "20"
            }
        }
    },
    {
        "Id": "025b1350d901baf1345a512ffe7d018bb501d5aa6f6223aebe7a4738c83c82ad",
        "Created": "2026-11-24T02:27:49.045355223Z",
        "Path": "/bin/busybox",
        "Args": [
            "sh",
            "-c",
            "exit 3"
        ],
        "State": {
            "Status": "exited",
            "Running": false,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 0,
            "ExitCode": 3,
            "Error": "",
            "StartedAt": "2026-11-24T02:27:49.282283017Z",
            "FinishedAt": "2026-11-24T02:27:49.282631792Z"
        },
        "Image": "sha256:a9eb91d45263b04ca105c57cf696e076c016e8c4a059bcfa8ffb8168a1da25cf",
        "Name": "/madrecapture3041_worker_1",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "HostConfig": {
            "RestartPolicy": {
                "Name": "",
                "MaximumRetryCount": 0
            }
        },
        "Config": {
            "Hostname": "025b1350d901",
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            ],
            "Cmd": [
                "sh",
                "-c",
                "exit 3"
            ],
            "Healthcheck": {
                "Test": [
                    "NONE"
                ]
            },
            "Image": "madre-capture-busybox:1",
            "Entrypoint": [
                "/bin/busybox"
            ],
            "Labels": {
                "com.docker.compose.config-hash": "7f56813f01efaeaefc5c588ed8ad4a5a4ce1d360cf1fb45fb10184ca9cb4943f",
                "com.docker.compose.container-number": "1",
                "com.docker.compose.oneoff": "False",
                "com.docker.compose.project": "madrecapture3041",
                "com.docker.compose.project.config_files": "docker-compose.yml",
                "com.docker.compose.project.working_dir": "/tmp/madre-compose-capture.9IcK",
                "com.docker.compose.service": "worker",
                "com.docker.compose.version": "1.29.2"
            }
        }
    }
]
)json";

// `docker compose -p vx11 config --format json` (Compose 2.2x).
inline constexpr const char kV2ConfigJson[] = R"json({
  "name": "vx11",
  "services": {
    "hermes": {
      "command": null,
      "depends_on": {
        "redis": {
          "condition": "service_healthy",
          "required": true
        },
        "switch": {
          "condition": "service_started",
          "required": true,
          "restart": false
        }
      },
      "entrypoint": null,
      "environment": {
        "REDIS_URL": "redis://redis:6379"
      },
      "healthcheck": {
        "test": [
          "CMD",
          "curl",
          "-f",
          "http://localhost:8003/health"
        ],
        "timeout": "5s",
        "interval": "10s",
        "retries": 3
      },
      "image": "vx11/hermes:latest",
      "labels": {
        "vx11.health.timeout_sec": "20",
        "vx11.health.url": "http://127.0.0.1:8003/health"
      },
      "networks": {
        "default": null
      },
      "profiles": [
        "windows"
      ],
      "stop_grace_period": "1m30s"
    },
    "redis": {
      "command": null,
      "entrypoint": null,
      "healthcheck": {
        "test": [
          "CMD-SHELL",
          "redis-cli ping"
        ],
        "interval": "5s"
      },
      "image": "redis:7",
      "networks": {
        "default": null
      }
    },
    "switch": {
      "command": null,
      "container_name": "vx11-switch",
      "depends_on": {
        "redis": {
          "condition": "service_started",
          "required": true
        }
      },
      "entrypoint": null,
      "healthcheck": {
        "disable": true
      },
      "image": "vx11/switch:latest",
      "networks": {
        "default": null
      },
      "stop_grace_period": "500ms"
    }
  },
  "networks": {
    "default": {
      "name": "vx11_default",
      "ipam": {}
    }
  }
}
)json";

// `docker compose -p vx11 ps --all --format json`, Compose < 2.21: one array.
inline constexpr const char kV2PsArray[] =
    R"json([{"ID":"5d4b0b8c1f2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b","Name":"vx11-redis-1","Command":"docker-entrypoint.sh redis-server","Project":"vx11","Service":"redis","State":"running","Health":"healthy","ExitCode":0,"Publishers":[{"URL":"0.0.0.0","TargetPort":6379,"PublishedPort":6379,"Protocol":"tcp"}]},{"ID":"9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0","Name":"vx11-hermes-1","Command":"python -m hermes","Project":"vx11","Service":"hermes","State":"exited","Health":"","ExitCode":137,"Publishers":null}]
)json";

// The same with Compose >= 2.21: one object per line.
inline constexpr const char kV2PsLines[] =
    R"json({"Command":"\"docker-entrypoint.s…\"","CreatedAt":"2026-11-24 10:00:00 +0000 UTC","ExitCode":0,"Health":"healthy","ID":"5d4b0b8c1f2e","Image":"redis:7","Labels":"com.docker.compose.project=vx11,com.docker.compose.service=redis","LocalVolumes":"1","Mounts":"vx11_redis","Name":"vx11-redis-1","Names":"vx11-redis-1","Networks":"vx11_default","Ports":"6379/tcp","Project":"vx11","Publishers":[{"URL":"","TargetPort":6379,"PublishedPort":0,"Protocol":"tcp"}],"RunningFor":"2 minutes ago","Service":"redis","Size":"0B","State":"running","Status":"Up 2 minutes (healthy)"}
{"Command":"\"python -m hermes\"","CreatedAt":"2026-11-24 10:00:05 +0000 UTC","ExitCode":137,"Health":"","ID":"9f8e7d6c5b4a","Image":"vx11/hermes:latest","Labels":"com.docker.compose.project=vx11,com.docker.compose.service=hermes","LocalVolumes":"0","Mounts":"","Name":"vx11-hermes-1","Names":"vx11-hermes-1","Networks":"vx11_default","Ports":"","Project":"vx11","Publishers":[],"RunningFor":"2 minutes ago","Service":"hermes","Size":"0B","State":"exited","Status":"Exited (137) 1 second ago"}
)json";

}  // namespace madre::testdata

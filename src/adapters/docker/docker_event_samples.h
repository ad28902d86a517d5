// Event lines captured from this project's dockerd 20.10 (API 1.41) with
//   curl --unix-socket /var/run/docker.sock 'http://localhost/v1.41/events?since=..&until=..'
// around `docker-compose up -d ok plain` (fixture `faults`), `docker stop`, and a labelled
// `docker run`. Verbatim, split into adjacent literals only to fit 100 columns.
#pragma once

#include <string_view>

namespace madre::event_samples {

// start of compose service `plain`
inline constexpr std::string_view kStartLine =
    R"js({"status":"start","id":"9d4755da1e492f8bd0a2769feeb4685f2cf3bd2f1884df2fdc7038900ca0)js"
    R"js(099d","from":"madre-busybox:latest","Type":"container","Action":"start","Actor":{"ID)js"
    R"js(":"9d4755da1e492f8bd0a2769feeb4685f2cf3bd2f1884df2fdc7038900ca0099d","Attributes":{")js"
    R"js(com.docker.compose.config-hash":"0c2f6136a814f4b26213f0a984e832b0d7757db5fe3a505f533)js"
    R"js(ac59af3a6613d","com.docker.compose.container-number":"1","com.docker.compose.oneoff")js"
    R"js(:"False","com.docker.compose.project":"evcap11813","com.docker.compose.project.confi)js"
    R"js(g_files":"docker-compose.yml","com.docker.compose.project.working_dir":"/work/main/t)js"
    R"js(ests/integration/fixtures/faults","com.docker.compose.service":"plain","com.docker.c)js"
    R"js(ompose.version":"1.29.2","image":"madre-busybox:latest","madre.build-hash":"3358718c)js"
    R"js(1660f253","name":"evcap11813_plain_1"}},"scope":"local","time":1795489207,"timeNano")js"
    R"js(:1795489207959272347})js";

// health_status of compose service `ok`
inline constexpr std::string_view kHealthyLine =
    R"js({"status":"health_status: healthy","id":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b5)js"
    R"js(73214c0b028bc0250d1c4","from":"madre-busybox:latest","Type":"container","Action":"he)js"
    R"js(alth_status: healthy","Actor":{"ID":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b57321)js"
    R"js(4c0b028bc0250d1c4","Attributes":{"com.docker.compose.config-hash":"0127fcab7753f8167)js"
    R"js(1d702e8eb33d78bc0b932374c6b6804dc730e021721e9d7","com.docker.compose.container-numbe)js"
    R"js(r":"1","com.docker.compose.oneoff":"False","com.docker.compose.project":"evcap11813")js"
    R"js(,"com.docker.compose.project.config_files":"docker-compose.yml","com.docker.compose.)js"
    R"js(project.working_dir":"/work/main/tests/integration/fixtures/faults","com.docker.comp)js"
    R"js(ose.service":"ok","com.docker.compose.version":"1.29.2","image":"madre-busybox:lates)js"
    R"js(t","madre.build-hash":"3358718c1660f253","name":"evcap11813_ok_1"}},"scope":"local",)js"
    R"js("time":1795489208,"timeNano":1795489208593708638})js";

// a healthcheck run of `ok`
inline constexpr std::string_view kExecStartLine =
    R"js({"status":"exec_start: /bin/sh -c wget -q -O- http://127.0.0.1:$PORT/health","id":"4)js"
    R"js(1abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0250d1c4","from":"madre-busyb)js"
    R"js(ox:latest","Type":"container","Action":"exec_start: /bin/sh -c wget -q -O- http://12)js"
    R"js(7.0.0.1:$PORT/health","Actor":{"ID":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b57321)js"
    R"js(4c0b028bc0250d1c4","Attributes":{"com.docker.compose.config-hash":"0127fcab7753f8167)js"
    R"js(1d702e8eb33d78bc0b932374c6b6804dc730e021721e9d7","com.docker.compose.container-numbe)js"
    R"js(r":"1","com.docker.compose.oneoff":"False","com.docker.compose.project":"evcap11813")js"
    R"js(,"com.docker.compose.project.config_files":"docker-compose.yml","com.docker.compose.)js"
    R"js(project.working_dir":"/work/main/tests/integration/fixtures/faults","com.docker.comp)js"
    R"js(ose.service":"ok","com.docker.compose.version":"1.29.2","execID":"a36b74fbce09351758)js"
    R"js(1b2d7a17578568fb5cebb867f119051afca8b8b6ca5b38","image":"madre-busybox:latest","madr)js"
    R"js(e.build-hash":"3358718c1660f253","name":"evcap11813_ok_1"}},"scope":"local","time":1)js"
    R"js(795489208,"timeNano":1795489208545553562})js";

// the end of a healthcheck run of `ok`
inline constexpr std::string_view kExecDieLine =
    R"js({"status":"exec_die","id":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0)js"
    R"js(250d1c4","from":"madre-busybox:latest","Type":"container","Action":"exec_die","Actor)js"
    R"js(":{"ID":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0250d1c4","Attribut)js"
    R"js(es":{"com.docker.compose.config-hash":"0127fcab7753f81671d702e8eb33d78bc0b932374c6b6)js"
    R"js(804dc730e021721e9d7","com.docker.compose.container-number":"1","com.docker.compose.o)js"
    R"js(neoff":"False","com.docker.compose.project":"evcap11813","com.docker.compose.project)js"
    R"js(.config_files":"docker-compose.yml","com.docker.compose.project.working_dir":"/work/)js"
    R"js(main/tests/integration/fixtures/faults","com.docker.compose.service":"ok","com.docke)js"
    R"js(r.compose.version":"1.29.2","execID":"a36b74fbce093517581b2d7a17578568fb5cebb867f119)js"
    R"js(051afca8b8b6ca5b38","exitCode":"0","image":"madre-busybox:latest","madre.build-hash")js"
    R"js(:"3358718c1660f253","name":"evcap11813_ok_1"}},"scope":"local","time":1795489208,"ti)js"
    R"js(meNano":1795489208590386224})js";

// `docker stop` of `ok` (SIGTERM honoured: exit 0)
inline constexpr std::string_view kDieLine =
    R"js({"status":"die","id":"41abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0250d1)js"
    R"js(c4","from":"madre-busybox:latest","Type":"container","Action":"die","Actor":{"ID":"4)js"
    R"js(1abb9e3fc3f6b2169241b6abf087a2da28e6c0e2b573214c0b028bc0250d1c4","Attributes":{"com.)js"
    R"js(docker.compose.config-hash":"0127fcab7753f81671d702e8eb33d78bc0b932374c6b6804dc730e0)js"
    R"js(21721e9d7","com.docker.compose.container-number":"1","com.docker.compose.oneoff":"Fa)js"
    R"js(lse","com.docker.compose.project":"evcap11813","com.docker.compose.project.config_fi)js"
    R"js(les":"docker-compose.yml","com.docker.compose.project.working_dir":"/work/main/tests)js"
    R"js(/integration/fixtures/faults","com.docker.compose.service":"ok","com.docker.compose.)js"
    R"js(version":"1.29.2","exitCode":"0","image":"madre-busybox:latest","madre.build-hash":")js"
    R"js(3358718c1660f253","name":"evcap11813_ok_1"}},"scope":"local","time":1795489212,"time)js"
    R"js(Nano":1795489212281396301})js";

// `docker stop` of `plain`
inline constexpr std::string_view kStopLine =
    R"js({"status":"stop","id":"9d4755da1e492f8bd0a2769feeb4685f2cf3bd2f1884df2fdc7038900ca00)js"
    R"js(99d","from":"madre-busybox:latest","Type":"container","Action":"stop","Actor":{"ID":)js"
    R"js("9d4755da1e492f8bd0a2769feeb4685f2cf3bd2f1884df2fdc7038900ca0099d","Attributes":{"co)js"
    R"js(m.docker.compose.config-hash":"0c2f6136a814f4b26213f0a984e832b0d7757db5fe3a505f533ac)js"
    R"js(59af3a6613d","com.docker.compose.container-number":"1","com.docker.compose.oneoff":")js"
    R"js(False","com.docker.compose.project":"evcap11813","com.docker.compose.project.config_)js"
    R"js(files":"docker-compose.yml","com.docker.compose.project.working_dir":"/work/main/tes)js"
    R"js(ts/integration/fixtures/faults","com.docker.compose.service":"plain","com.docker.com)js"
    R"js(pose.version":"1.29.2","image":"madre-busybox:latest","madre.build-hash":"3358718c16)js"
    R"js(60f253","name":"evcap11813_plain_1"}},"scope":"local","time":1795489212,"timeNano":1)js"
    R"js(795489212470276297})js";

// `docker run ... sh -c "exit 3"` with compose labels set by hand
inline constexpr std::string_view kCrashDieLine =
    R"js({"status":"die","id":"e4f591d657cb04d55a04a47e81a63b5ea9d77a44bd183e600249424f1651c1)js"
    R"js(ea","from":"madre-busybox:latest","Type":"container","Action":"die","Actor":{"ID":"e)js"
    R"js(4f591d657cb04d55a04a47e81a63b5ea9d77a44bd183e600249424f1651c1ea","Attributes":{"com.)js"
    R"js(docker.compose.project":"evcap11813","com.docker.compose.service":"crash","exitCode")js"
    R"js(:"3","image":"madre-busybox:latest","madre.build-hash":"3358718c1660f253","name":"ev)js"
    R"js(cap11813_crash_1"}},"scope":"local","time":1795489220,"timeNano":1795489220544480543)js"
    R"js(})js";

// `docker rm -f` of that container
inline constexpr std::string_view kDestroyLine =
    R"js({"status":"destroy","id":"e4f591d657cb04d55a04a47e81a63b5ea9d77a44bd183e600249424f16)js"
    R"js(51c1ea","from":"madre-busybox:latest","Type":"container","Action":"destroy","Actor":)js"
    R"js({"ID":"e4f591d657cb04d55a04a47e81a63b5ea9d77a44bd183e600249424f1651c1ea","Attributes)js"
    R"js(":{"com.docker.compose.project":"evcap11813","com.docker.compose.service":"crash","i)js"
    R"js(mage":"madre-busybox:latest","madre.build-hash":"3358718c1660f253","name":"evcap1181)js"
    R"js(3_crash_1"}},"scope":"local","time":1795489222,"timeNano":1795489222567102255})js";

// a network event (not asked for by the stream filter)
inline constexpr std::string_view kNetworkLine =
    R"js({"Type":"network","Action":"create","Actor":{"ID":"d05906018bccfc509402ff6e723089287)js"
    R"js(54cb0a87d3807491ef6279e4f920386","Attributes":{"name":"evcap11813_default","type":"b)js"
    R"js(ridge"}},"scope":"local","time":1795489207,"timeNano":1795489207295481641})js";

// A swarm stack "evcap" (`docker stack deploy`) on dockerd 20.10, captured 2026-12-03 with
// `docker events --format '{{json .}}'`: a task container of evcap_crashy dying (exit 1), the
// service scaled from 0 to 1, and a task container removed.
inline constexpr std::string_view kSwarmTaskDieLine =
    R"json({"status":"die","id":"b822d4069750085bb312b85c3823e541c80ddb47659aa9e17c3b045ac036f8ed","from":"madre-busybox:latest","Type":"container","Action":"die","Actor":{"ID":"b822d4069750085bb312b85c3823e541c80ddb47659aa9e17c3b045ac036f8ed","Attributes":{"com.docker.stack.namespace":"evcap","com.docker.swarm.node.id":"xxizv89h7hm8dsct5pab9v19x","com.docker.swarm.service.id":"qm9xvyl46cepv5szitn3hrzlh","com.docker.swarm.service.name":"evcap_crashy","com.docker.swarm.task":"","com.docker.swarm.task.id":"rg9kp7phx6nhnlzq9jhslavxo","com.docker.swarm.task.name":"evcap_crashy.1.rg9kp7phx6nhnlzq9jhslavxo","exitCode":"1","image":"madre-busybox:latest","madre.build-hash":"61835b0152369fc1","name":"evcap_crashy.1.rg9kp7phx6nhnlzq9jhslavxo"}},"scope":"local","time":1796329603,"timeNano":1796329603627490034})json";
inline constexpr std::string_view kSwarmServiceUpdateLine =
    R"json({"Type":"service","Action":"update","Actor":{"ID":"qm9xvyl46cepv5szitn3hrzlh","Attributes":{"name":"evcap_crashy","replicas.new":"1","replicas.old":"0"}},"scope":"swarm","time":1796329601,"timeNano":1796329601991467058})json";
inline constexpr std::string_view kSwarmTaskDestroyLine =
    R"json({"status":"destroy","id":"9740fbcf5d6617f330d4f95bd3f4c0726eb725783423273d1b3f3237dec669ce","from":"madre-busybox:latest","Type":"container","Action":"destroy","Actor":{"ID":"9740fbcf5d6617f330d4f95bd3f4c0726eb725783423273d1b3f3237dec669ce","Attributes":{"com.docker.stack.namespace":"evcap","com.docker.swarm.node.id":"xxizv89h7hm8dsct5pab9v19x","com.docker.swarm.service.id":"qm9xvyl46cepv5szitn3hrzlh","com.docker.swarm.service.name":"evcap_crashy","com.docker.swarm.task":"","com.docker.swarm.task.id":"meqp2x2b7n1k4cwlq0wdmukm4","com.docker.swarm.task.name":"evcap_crashy.1.meqp2x2b7n1k4cwlq0wdmukm4","image":"madre-busybox:latest","madre.build-hash":"61835b0152369fc1","name":"evcap_crashy.1.meqp2x2b7n1k4cwlq0wdmukm4"}},"scope":"local","time":1796329612,"timeNano":1796329612801235577})json";

}  // namespace madre::event_samples

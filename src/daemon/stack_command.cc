#include "daemon/stack_command.h"

#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/compose/compose_argv.h"
#include "adapters/compose/compose_cli_runner.h"
#include "adapters/docker/docker_api.h"
#include "adapters/process/child_env.h"
#include "adapters/process/posix_process_runner.h"
#include "adapters/swarm/stack_deploy.h"
#include "adapters/swarm/swarm_client.h"
#include "daemon/config.h"

namespace madre {
namespace {

// `docker stack deploy` pulls nothing here (no registry) but may create networks and many
// services: generous, bounded.
constexpr int kDeployTimeoutSec = 300;

// A private temporary file holding `text`; removed by the destructor.
class TempFile {
 public:
  static Result<std::unique_ptr<TempFile>> Write(const std::string& text) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "madre-stack-XXXXXX.yml").string();
    const int fd = ::mkstemps(pattern.data(), 4);
    if (fd < 0) return Status::Internal("cannot create a temporary file in " + pattern);
    ::close(fd);
    auto file = std::unique_ptr<TempFile>(new TempFile(pattern));
    std::ofstream stream(pattern, std::ios::trunc);
    stream << text;
    stream.close();
    if (!stream) return Status::Internal("cannot write " + pattern);
    return file;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

int StackDeploy(const StackDeployFlags& flags, std::ostream& out, std::ostream& err) {
  auto fail = [&err](int code, const std::string& message) {
    err << "madre stack deploy: " << message << "\n";
    return code;
  };
  DaemonConfig config;
  if (Status status = BuildConfig(flags.settings, ProcessEnv(), config); !status.ok()) {
    return fail(2, status.message());
  }
  if (config.provider != "swarm") {
    return fail(2, "the provider is " + config.provider +
                       ": stack deploy is for VX11_PROVIDER=swarm (provider = \"swarm\" in "
                       "--config); docs/providers.md");
  }
  if (Status status = CheckProviderSettings(config); !status.ok()) {
    return fail(2, status.message());
  }
  // The services of the compose files, read as `madre serve` reads them.
  PosixProcessRunner processes(Millis(500),
                               ComposeEnvPolicy(config.compose_dir, config.compose_files));
  Result<ComposeTarget> target = DetectCompose(processes, config.compose_cmd);
  if (!target.ok()) return fail(1, target.status().message());
  target->project = config.compose_project;
  target->files = config.compose_files;
  target->working_dir = config.compose_dir;
  ComposeCliRunner compose(*target, processes, Seconds(config.timeout_sec));
  Result<ServiceModel> model = compose.Config();
  if (!model.ok()) return fail(1, "cannot read the compose files: " + model.status().message());
  std::set<std::string> names;
  for (const auto& [name, def] : model->services) names.insert(name);

  auto api = std::make_shared<DockerApi>(config.docker_host, Seconds(config.timeout_sec));
  SwarmClient client(config.compose_project,
                     DockerApiTransport(std::move(api), Seconds(config.timeout_sec)));
  Result<std::vector<SwarmService>> deployed = client.ListStackServices();
  if (!deployed.ok()) {
    return fail(1, "cannot list the services of stack " + config.compose_project + ": " +
                       deployed.status().message());
  }
  const StackDeployPlan plan = PlanStackDeploy(config.compose_project, *deployed, names);
  std::unique_ptr<TempFile> override_file;
  if (!plan.override_yaml.empty()) {
    Result<std::unique_ptr<TempFile>> written = TempFile::Write(plan.override_yaml);
    if (!written.ok()) return fail(1, written.status().message());
    override_file = std::move(*written);
  }
  std::vector<std::string> files;
  for (const std::string& file : config.compose_files) {
    files.push_back((config.compose_dir / file).lexically_normal().string());
  }
  const std::vector<std::string> argv =
      StackDeployArgv(files, override_file ? override_file->path() : "", config.compose_project);
  out << "stack " << config.compose_project << " (" << deployed->size()
      << " service(s) deployed now):\n";
  for (const std::string& line : plan.summary) out << "  " << line << "\n";
  out << "$ " << JoinArgv(argv) << "\n";
  if (flags.dry_run) {
    if (!plan.override_yaml.empty()) out << "with " << override_file->path() << ":\n";
    out << plan.override_yaml;
    out << "(dry run: nothing deployed)\n";
    return 0;
  }
  ProcessSpec spec;
  spec.argv = argv;
  spec.working_dir = config.compose_dir;
  spec.timeout = Seconds(kDeployTimeoutSec);
  Result<ProcessResult> ran = processes.Run(spec);
  if (!ran.ok()) return fail(1, "cannot run docker: " + ran.status().message());
  out << ran->output;
  if (ran->timed_out) {
    return fail(
        1, "docker stack deploy did not finish within " + std::to_string(kDeployTimeoutSec) + " s");
  }
  if (ran->exit_code != 0) {
    return fail(1, "docker stack deploy failed (exit " + std::to_string(ran->exit_code) + ")");
  }
  out << "deployed; `madre serve` scales the services no window holds to 0 "
         "(VX11_EXTERNAL_START=stop) or adopts them\n";
  return 0;
}

void RegisterStack(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<StackDeployFlags>();
  CLI::App* stack = app.add_subcommand(
      "stack", "The Swarm stack madre drives (VX11_PROVIDER=swarm; docs/providers.md)");
  stack->require_subcommand(1);
  CLI::App* deploy = stack->add_subcommand(
      "deploy",
      "docker stack deploy of the compose files madre is configured with (the same settings "
      "as `madre serve`: environment, --config, flags). Services already deployed keep their "
      "current replica count and madre's label vx11.madre.replicas, so a redeploy does not "
      "start what madre stopped; new services start as the files say. Needs no daemon");
  ServeFlags& settings = flags->settings;
  deploy->add_option("--config", settings.config_file, "TOML config file, as for madre serve")
      ->check(CLI::ExistingFile);
  deploy->add_option("--project,-p", settings.project, "stack name (VX11_COMPOSE_PROJECT)");
  deploy->add_option("--compose-dir", settings.compose_dir,
                     "directory of the stack files (VX11_COMPOSE_DIR)");
  deploy->add_option("--compose-file,-f", settings.compose_files,
                     "stack file, repeatable (VX11_COMPOSE_FILES)");
  deploy->add_flag("--dry-run", flags->dry_run,
                   "print what would be deployed (each service, the command, madre's extra "
                   "file) and deploy nothing");
  deploy->footer(
      "Exit codes: 0 deployed, 1 Docker could not be read or the deploy failed, 2 a bad "
      "setting or VX11_PROVIDER is not swarm.\n"
      "Example: madre stack deploy --config examples/vx11/madre-swarm.toml");
  deploy->callback([flags, exit_code] { *exit_code = StackDeploy(*flags, std::cout, std::cerr); });
}

}  // namespace madre

#include "madre_process.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "docker_env.h"

extern char** environ;

namespace madre::itest {

namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

nlohmann::json HttpAnswer::Json() const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

HttpAnswer Http(const std::string& method, const std::string& url, const std::string& body,
                const std::string& token, long timeout_sec) {
  static const bool initialized = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialized;
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  if (!curl) return answer;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  if (!token.empty()) headers = curl_slist_append(headers, ("X-VX11-Token: " + token).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_sec);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_write_callback write = Collect;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return answer;
}

MadreProcess::MadreProcess(std::map<std::string, std::string> env,
                           std::vector<std::string> extra_args)
    : env_(std::move(env)), extra_args_(std::move(extra_args)) {
  static int counter = 0;
  state_dir_ = std::filesystem::temp_directory_path() /
               ("madre-itest-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(state_dir_);
  std::filesystem::create_directories(state_dir_);
  log_path_ = state_dir_ / "madre.log";
  port_ = FreeLoopbackPort();
  token_ = "itest-token-" + std::to_string(getpid()) + "-" + std::to_string(counter);
  env_["VX11_TOKEN"] = token_;
  env_["VX11_MADRE_PORT"] = std::to_string(port_);
  env_["VX11_MADRE_BIND"] = "127.0.0.1";
  env_["VX11_STATE_DIR"] = state_dir_.string();
  if (!env_.count("VX11_POWER_WINDOWS_LOG_LEVEL")) env_["VX11_POWER_WINDOWS_LOG_LEVEL"] = "DEBUG";
  // Tests run beside compilers: a busy host must not throttle their opens.
  if (!env_.count("VX11_THROTTLE_CPU_PCT")) env_["VX11_THROTTLE_CPU_PCT"] = "0";
  // The tests read the compatible open's answer as the ready window; under sanitizers beside
  // compilers readiness may take longer than the 4 s default (the cut-off is unit-tested).
  if (!env_.count("VX11_COMPAT_OPEN_WAIT_SEC")) env_["VX11_COMPAT_OPEN_WAIT_SEC"] = "120";
}

MadreProcess::~MadreProcess() {
  Terminate();
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  const bool in_test = unit.current_test_info() != nullptr;
  const bool failed =
      in_test ? ::testing::Test::HasFailure()
              : unit.current_test_suite() != nullptr && unit.current_test_suite()->Failed();
  if (failed) {
    std::cerr << "madre state dir kept: " << state_dir_.string() << std::endl;
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(state_dir_, ignored);
}

bool MadreProcess::Start() {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (!env_.count(name)) envs.push_back(entry);
  }
  for (const auto& [k, v] : env_) envs.push_back(k + "=" + v);
  std::vector<std::string> args = {MADRE_BINARY, "serve"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, MADRE_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::cerr << "madre exited early; log:\n" << log() << std::endl;
      return false;
    }
    if (Get("/madre/power/state").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "madre did not become ready; log:\n" << log() << std::endl;
  return false;
}

void MadreProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int MadreProcess::Terminate() {
  if (pid_ <= 0) return 0;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill9();
  return -1;
}

std::string MadreProcess::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

HttpAnswer MadreProcess::Get(const std::string& path) const {
  return Http("GET", Url(path), "", token_);
}

HttpAnswer MadreProcess::Post(const std::string& path, const std::string& body) const {
  return Http("POST", Url(path), body, token_);
}

std::string MadreProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace madre::itest

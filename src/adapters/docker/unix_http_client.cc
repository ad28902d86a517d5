#include "adapters/docker/unix_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

namespace madre {
namespace {

struct BodySink {
  std::string* body;
  std::size_t max_bytes;
  bool overflow = false;
};

extern "C" std::size_t WriteToSink(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->body->append(data, bytes);
  return bytes;
}

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

long ToMillis(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<long>(std::max<decltype(ms)>(ms, 1));
}

}  // namespace

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

UnixHttpClient::UnixHttpClient(std::string socket_path, std::size_t max_body_bytes)
    : socket_path_(std::move(socket_path)), max_body_bytes_(max_body_bytes) {
  InitCurlOnce();
}

Result<UnixHttpResponse> UnixHttpClient::Send(std::string_view method, std::string_view target,
                                          Duration timeout) const {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return Status::Internal("curl_easy_init failed");
  CURL* h = easy.get();

  UnixHttpResponse response;
  BodySink sink{&response.body, max_body_bytes_};
  std::string url = "http://localhost" + std::string(target);
  std::string method_text(method);
  char error_buffer[CURL_ERROR_SIZE] = {};
  // A named variable: curl_easy_setopt is a type-checking macro under GCC (pitfall 9).
  curl_write_callback write_callback = WriteToSink;

  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // never an http_proxy from the environment
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ToMillis(timeout));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ToMillis(std::min<Duration>(timeout, Seconds(5))));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_callback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  if (method_text == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (method_text == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    std::string where = method_text + " " + std::string(target) + " on " + socket_path_;
    if (sink.overflow) {
      return Status::Internal("docker answer to " + where + " is larger than " +
                              std::to_string(max_body_bytes_) + " bytes");
    }
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return Status::DeadlineExceeded("docker did not answer " + where + " in time: " + detail);
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        return Status::Unavailable("docker engine unreachable (" + where + "): " + detail);
      default:
        return Status::Internal("docker request " + where + " failed: " + detail);
    }
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace madre

#include "adapters/systemd/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <random>

namespace madre {
namespace {

// A datagram socket bound to `name` (a path, or "@name" for an abstract one) that the test
// reads the notifications from.
class Listener {
 public:
  explicit Listener(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    std::size_t length = name.size() + 1;
    if (name.front() == '@') {
      address.sun_path[0] = '\0';
      length = name.size();
    }
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address),
                    static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length)) == 0;
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool bound() const { return bound_; }
  // The next datagram; "" when none is waiting (never blocks).
  std::string Receive() const {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

std::string UniqueSuffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

TEST(SdNotifyTest, SendsToAPathSocket) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("madre-notify-" + UniqueSuffix());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "notify").string();
  {
    Listener listener(path);
    ASSERT_TRUE(listener.bound());
    Result<SdNotifier> notifier = SdNotifier::Open(path);
    ASSERT_TRUE(notifier.ok()) << notifier.status().message();
    EXPECT_TRUE(notifier->enabled());
    ASSERT_TRUE(notifier->Notify("READY=1\nSTATUS=listening").ok());
    ASSERT_TRUE(notifier->Notify("WATCHDOG=1").ok());
    EXPECT_EQ(listener.Receive(), "READY=1\nSTATUS=listening");
    EXPECT_EQ(listener.Receive(), "WATCHDOG=1");
    EXPECT_EQ(listener.Receive(), "");
  }
  std::filesystem::remove_all(dir);
}

TEST(SdNotifyTest, SendsToAnAbstractSocket) {
  const std::string name = "@madre-notify-test-" + UniqueSuffix();
  Listener listener(name);
  ASSERT_TRUE(listener.bound());
  Result<SdNotifier> notifier = SdNotifier::Open(name);
  ASSERT_TRUE(notifier.ok()) << notifier.status().message();
  ASSERT_TRUE(notifier->Notify("STOPPING=1").ok());
  EXPECT_EQ(listener.Receive(), "STOPPING=1");
  // The same name as a path is another socket: nothing listens there.
  Result<SdNotifier> as_path = SdNotifier::Open("/" + name.substr(1));
  ASSERT_TRUE(as_path.ok());
  EXPECT_FALSE(as_path->Notify("READY=1").ok());
  EXPECT_EQ(listener.Receive(), "");
}

TEST(SdNotifyTest, MovedNotifierKeepsSending) {
  const std::string name = "@madre-notify-move-" + UniqueSuffix();
  Listener listener(name);
  ASSERT_TRUE(listener.bound());
  Result<SdNotifier> opened = SdNotifier::Open(name);
  ASSERT_TRUE(opened.ok());
  SdNotifier notifier = std::move(*opened);
  EXPECT_FALSE(opened->enabled());
  ASSERT_TRUE(notifier.Notify("READY=1").ok());
  EXPECT_EQ(listener.Receive(), "READY=1");
}

TEST(SdNotifyTest, WithoutASocketNothingIsSent) {
  Result<SdNotifier> notifier = SdNotifier::Open("");
  ASSERT_TRUE(notifier.ok());
  EXPECT_FALSE(notifier->enabled());
  EXPECT_TRUE(notifier->Notify("READY=1").ok());
}

TEST(SdNotifyTest, BadSocketNamesAreRefused) {
  EXPECT_EQ(SdNotifier::Open("relative/notify").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SdNotifier::Open("/" + std::string(200, 'x')).status().code(),
            StatusCode::kInvalidArgument);
  // No listener at the path: the send fails, and says where.
  Result<SdNotifier> nobody = SdNotifier::Open("/nonexistent-madre-dir/notify");
  ASSERT_TRUE(nobody.ok());
  Status sent = nobody->Notify("READY=1");
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable);
  EXPECT_NE(sent.message().find("/nonexistent-madre-dir/notify"), std::string::npos);
}

TEST(SdNotifyTest, WatchdogIntervalIsHalfOfWatchdogUsecForThisProcess) {
  auto interval = WatchdogInterval(std::string("20000000"), std::nullopt, 42);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, std::optional<Duration>(Seconds(10)));
  interval = WatchdogInterval(std::string("3000000"), std::string("42"), 42);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, std::optional<Duration>(Duration(1500000)));
  // For another process, unset or empty: no watchdog.
  interval = WatchdogInterval(std::string("3000000"), std::string("43"), 42);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, std::nullopt);
  interval = WatchdogInterval(std::nullopt, std::nullopt, 42);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, std::nullopt);
  interval = WatchdogInterval(std::string(""), std::nullopt, 42);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, std::nullopt);
  EXPECT_FALSE(WatchdogInterval(std::string("10s"), std::nullopt, 42).ok());
  EXPECT_FALSE(WatchdogInterval(std::string("0"), std::nullopt, 42).ok());
  EXPECT_FALSE(WatchdogInterval(std::string("-5"), std::nullopt, 42).ok());
  EXPECT_FALSE(WatchdogInterval(std::string("100"), std::string("pid"), 42).ok());
}

}  // namespace
}  // namespace madre

#include "core/self_container.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

constexpr char kId[] = "1fc9b65f135ebc4cb2cf7244136c86b29a123963cbb52403e34be4840820cec9";

// Read in a container of the machine's dockerd (`docker run --network host`, cgroupfs driver).
constexpr char kContainerMountinfo[] =
    "82 56 0:40 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/"
    "l/WA7CJ34ELA2QYK2YSNYJHJICPM,upperdir=/var/lib/docker/overlay2/"
    "4c4933a78a96fbefe0f71bdedbe79628d2505b6456e613df8bc6234f9dbd2f88/diff\n"
    "83 82 0:43 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "88 87 0:29 /docker/1fc9b65f135ebc4cb2cf7244136c86b29a123963cbb52403e34be4840820cec9 "
    "/sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu\n"
    "99 82 254:0 /var/lib/docker/containers/"
    "1fc9b65f135ebc4cb2cf7244136c86b29a123963cbb52403e34be4840820cec9/resolv.conf "
    "/etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n"
    "100 82 254:0 /var/lib/docker/containers/"
    "1fc9b65f135ebc4cb2cf7244136c86b29a123963cbb52403e34be4840820cec9/hostname /etc/hostname "
    "rw,relatime - ext4 /dev/vda rw\n";

constexpr char kHostMountinfo[] =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "23 22 0:5 / /dev rw,nosuid - devtmpfs udev rw\n"
    // A host's own mount of the data root names no container.
    "40 22 254:0 /var/lib/docker /var/lib/docker rw,relatime - ext4 /dev/vda rw\n";

TEST(SelfContainerTest, TheContainerIdComesFromTheHostnameBindInMountinfo) {
  EXPECT_EQ(SelfContainerId(kContainerMountinfo, ""), kId);
}

TEST(SelfContainerTest, ADataRootOnItsOwnFilesystemShowsOnlyTheTail) {
  const std::string line = std::string("100 82 254:3 /docker/containers/") + kId +
                           "/hostname /etc/hostname rw - ext4 /dev/vdb rw\n";
  EXPECT_EQ(SelfContainerId(line, ""), kId);
}

TEST(SelfContainerTest, CgroupV1PathsAreTheFallback) {
  const std::string cgroupfs = std::string("4:memory:/docker/") + kId + "\n0::/\n";
  EXPECT_EQ(SelfContainerId(kHostMountinfo, cgroupfs), kId);
  const std::string systemd = std::string("1:name=systemd:/system.slice/docker-") + kId +
                              ".scope\n0::/system.slice/docker-" + kId + ".scope\n";
  EXPECT_EQ(SelfContainerId(kHostMountinfo, systemd), kId);
}

TEST(SelfContainerTest, OutsideAContainerThereIsNoId) {
  EXPECT_EQ(SelfContainerId(kHostMountinfo, "9:name=systemd:/\n0::/user.slice\n"), std::nullopt);
  EXPECT_EQ(SelfContainerId("", ""), std::nullopt);
}

TEST(SelfContainerTest, OnlyExactly64HexDigitsAreAnId) {
  const std::string shorter = std::string("/var/lib/docker/containers/") +
                              std::string(kId).substr(0, 63) + "/hostname /etc/hostname\n";
  EXPECT_EQ(SelfContainerId(shorter, ""), std::nullopt);
  const std::string longer =
      std::string("/var/lib/docker/containers/") + kId + "0/hostname /etc/hostname\n";
  EXPECT_EQ(SelfContainerId(longer, ""), std::nullopt);
  std::string upper = std::string("/var/lib/docker/containers/") + kId + "/hostname\n";
  upper[30] = 'F';
  EXPECT_EQ(SelfContainerId(upper, ""), std::nullopt);
  // Another runtime's layout ("overlay-containers/<id>/userdata") is not Docker's.
  const std::string podman = std::string("/var/lib/containers/storage/overlay-containers/") + kId +
                             "/userdata/hostname /etc/hostname\n";
  EXPECT_EQ(SelfContainerId(podman, ""), std::nullopt);
}

ContainerState Container(std::string service, std::string id) {
  ContainerState c;
  c.service = std::move(service);
  c.id = std::move(id);
  c.state = "running";
  return c;
}

TEST(SelfContainerTest, TheOwnContainerIsMatchedByFullOrAbbreviatedId) {
  const std::vector<ContainerState> observed = {
      Container("redis", "7290a692e2560000000000000000000000000000000000000000000000000000"),
      Container("madre", std::string(kId).substr(0, 12)),
  };
  std::optional<ContainerState> self = FindSelfContainer(kId, observed);
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->service, "madre");
  self = FindSelfContainer(kId, {Container("vx11-madre", kId)});
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->service, "vx11-madre");
}

TEST(SelfContainerTest, NoMatchOutsideTheProjectOrWithTooShortIds) {
  EXPECT_EQ(FindSelfContainer(kId, {Container("redis", "7290a692e256")}), std::nullopt);
  // An id too short to tell containers apart, or unknown, never matches.
  EXPECT_EQ(FindSelfContainer(kId, {Container("madre", "1fc9b6"), Container("web", "")}),
            std::nullopt);
  EXPECT_EQ(FindSelfContainer("", {Container("madre", std::string(kId).substr(0, 12))}),
            std::nullopt);
}

}  // namespace
}  // namespace madre

#include "core/identity.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(RoleTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Role r : {Role::kViewer, Role::kSubmitter, Role::kOperator, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
}

TEST(RoleTest, EachRoleMayDoWhatTheRolesBelowItMay) {
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kOperator));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Role::kOperator));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Role::kSubmitter));
  EXPECT_FALSE(RoleAllows(Role::kSubmitter, Role::kOperator));
  EXPECT_FALSE(RoleAllows(Role::kViewer, Role::kSubmitter));
  EXPECT_FALSE(RoleAllows(Role::kOperator, Role::kAdmin));
}

TEST(CallerTest, AuditActorNamesTheTokenAndThePeer) {
  Caller c{.name = "ci", .role = Role::kOperator, .peer = "127.0.0.1:4000", .token_less = false};
  EXPECT_EQ(c.AuditActor(), "ci@127.0.0.1:4000");
  c.peer.clear();
  EXPECT_EQ(c.AuditActor(), "ci");
}

}  // namespace
}  // namespace madre

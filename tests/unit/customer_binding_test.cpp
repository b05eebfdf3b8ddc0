#include "services/payments/domain/customer_binding.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace emporium::payments {
namespace {

class CustomerBinding : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(CustomerBinding, NamesThePayerItWasMadeForUnderTheSameSecretOnly) {
  const std::string binding = bindCustomer("user:usr_01ABC", "s3cret");
  EXPECT_TRUE(binding.starts_with("user:usr_01ABC."));
  EXPECT_EQ(binding.size(), std::string("user:usr_01ABC.").size() + 64);
  EXPECT_EQ(boundCustomer(binding, "s3cret"), "user:usr_01ABC");
  EXPECT_EQ(bindCustomer("user:usr_01ABC", "s3cret"), binding);  // stable: a URL per customer
  EXPECT_EQ(boundCustomer(binding, "another secret"), std::nullopt);
  EXPECT_EQ(boundCustomer(bindCustomer("cart:cart_9", "s3cret"), "s3cret"), "cart:cart_9");
}

TEST_F(CustomerBinding, ATamperedOrMalformedBindingNamesNobody) {
  const std::string binding = bindCustomer("user:ada", "s3cret");
  const std::string mac = binding.substr(binding.rfind('.') + 1);
  EXPECT_EQ(boundCustomer("user:bob." + mac, "s3cret"), std::nullopt);  // another payer, same MAC
  std::string flipped = binding;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_EQ(boundCustomer(flipped, "s3cret"), std::nullopt);
  const std::string malformed[] = {"",
                                   "user:ada",
                                   ".",
                                   "." + mac,
                                   "user:ada." + mac.substr(2),
                                   "user:ada." + std::string(64, 'z'),
                                   "user:ada." + mac + "00"};
  for (const std::string& bad : malformed) {
    EXPECT_EQ(boundCustomer(bad, "s3cret"), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace emporium::payments

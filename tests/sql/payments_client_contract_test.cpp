// The contract payments::Client promises the orders saga, run over the
// payments service on a real database on both backends (with an in-memory
// card processor) and over the RemoteClient calling it on payments' internal
// routes over real HTTP: every outcome, the idempotency of charges and
// refunds, and the payment as the saga reads it must come through the wire
// unchanged.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "contract_support.hpp"
#include "core/http/service_credential.hpp"
#include "core/log/logger.hpp"
#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"
#include "internal_server.hpp"
#include "services/payments/http/internal_routes.hpp"
#include "services/payments/payments_service.hpp"
#include "services/payments/remote_client.hpp"
#include "services/payments/storage/payment_store.hpp"
#include "services/payments/storage/schema.hpp"
#include "support/fakes/fake_card_provider.hpp"

namespace emporium::payments {
namespace {

using namespace std::chrono_literals;
using sql::test::Backend;

// PaymentsService over a fresh payments database of its own on one backend.
template <Backend kBackend>
class LocalPayments {
 public:
  static std::optional<std::string> unavailable() {
    return sql::test::OwnDatabase<kBackend>::unavailable();
  }

  void start() {
    sql::Database& db = db_.open("payments_client", migrations());
    outbox_ = std::make_unique<events::Outbox>("payments", db, doorbell_);
    store_ = std::make_unique<PaymentStore>(db, *outbox_);
    service_ = std::make_unique<PaymentsService>(*store_, provider_, logger_);
  }

  Client& client() { return *service_; }
  void giftCard(const std::string& code, std::int64_t balance) {
    ASSERT_TRUE(service_->createGiftCard(code, balance, "USD").has_value());
  }

 private:
  sql::test::OwnDatabase<kBackend> db_;  // first: outlives what uses it
  log::Logger logger_{log::Level::kError};
  emporium::test::FakeCardProvider provider_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<PaymentStore> store_;
  std::unique_ptr<PaymentsService> service_;
};

constexpr const char* kSecret = "payments-contract-service-credential-0123456789";

// RemoteClient -> HTTP -> internal routes -> PaymentsService on kBackend.
template <Backend kBackend>
class RemotePayments : public sql::test::RemoteSubject<LocalPayments<kBackend>, RemoteClient> {
 public:
  void giftCard(const std::string& code, std::int64_t balance) {
    this->local().giftCard(code, balance);
  }
};

template <class Subject>
class PaymentsClientContract : public sql::test::ContractTest<Subject> {
 protected:
  Client& client() { return this->subject_.client(); }

  static ChargeRequest charge(const std::string& order, Method method, std::int64_t amount) {
    ChargeRequest request;
    request.order_id = order;
    request.idempotency_key = order;
    request.method = method;
    request.amount = amount;
    request.currency = "USD";
    request.payer = "user:usr_1";
    request.client_address = "127.0.0.1";
    return request;
  }
};

struct SubjectNames {
  template <class Subject>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<Subject, LocalPayments<Backend::kSqlite>>) return "LocalSqlite";
    if constexpr (std::is_same_v<Subject, LocalPayments<Backend::kPostgres>>) {
      return "LocalPostgres";
    }
    if constexpr (std::is_same_v<Subject, RemotePayments<Backend::kSqlite>>) return "RemoteSqlite";
    return "RemotePostgres";
  }
};

using Subjects =
    ::testing::Types<LocalPayments<Backend::kSqlite>, LocalPayments<Backend::kPostgres>,
                     RemotePayments<Backend::kSqlite>, RemotePayments<Backend::kPostgres>>;
TYPED_TEST_SUITE(PaymentsClientContract, Subjects, SubjectNames);

TYPED_TEST(PaymentsClientContract, AChargeIsOnePerKeyAndRefundsGiveTheMoneyBackOnce) {
  this->subject_.giftCard("GIFT-0001", 10000);
  auto request = this->charge("ord_1", Method::kGiftCard, 2500);
  request.gift_card_code = "GIFT-0001";
  const auto first = this->client().charge(request);
  ASSERT_EQ(first.outcome, ChargeOutcome::kCaptured) << first.detail;
  ASSERT_TRUE(first.payment.has_value());
  EXPECT_EQ(first.payment->order_id, "ord_1");
  EXPECT_EQ(first.payment->method, Method::kGiftCard);
  EXPECT_EQ(first.payment->amount, 2500);
  EXPECT_EQ(first.payment->currency, "USD");
  const auto again = this->client().charge(request);
  ASSERT_TRUE(again.payment.has_value());
  EXPECT_EQ(again.payment->id, first.payment->id) << "one payment per key";

  EXPECT_EQ(this->client().refundPart("ord_1", "ref_1", 500), RefundOutcome::kRefunded);
  EXPECT_EQ(this->client().refundPart("ord_1", "ref_1", 500), RefundOutcome::kRefunded);
  auto payment = this->client().forOrder("ord_1");
  ASSERT_TRUE(payment.has_value());
  EXPECT_EQ(payment->refunded_amount, 500) << "one refund per key";
  EXPECT_EQ(payment->status, "partially_refunded");

  EXPECT_EQ(this->client().refund("ord_1"), RefundOutcome::kRefunded);
  EXPECT_EQ(this->client().refund("ord_1"), RefundOutcome::kNothingToDo);
  payment = this->client().forOrder("ord_1");
  ASSERT_TRUE(payment.has_value());
  EXPECT_EQ(payment->status, "refunded");
  EXPECT_EQ(payment->refunded_amount, 2500);
  EXPECT_FALSE(payment->created_at.empty());
}

TYPED_TEST(PaymentsClientContract, EveryOutcomeComesThroughAsItIs) {
  auto card = this->charge("ord_card", Method::kCard, 1999);
  card.card_token = "tok_ok";
  const auto captured = this->client().charge(card);
  ASSERT_EQ(captured.outcome, ChargeOutcome::kCaptured) << captured.detail;
  ASSERT_TRUE(captured.payment.has_value());
  EXPECT_EQ(captured.payment->card_brand, std::optional<std::string>("visa"));
  EXPECT_EQ(captured.payment->card_last4, std::optional<std::string>("4242"));

  auto declined = this->charge("ord_decline", Method::kCard, 1999);
  declined.card_token = "tok_decline";
  EXPECT_EQ(this->client().charge(declined).outcome, ChargeOutcome::kDeclined);
  auto nsf = this->charge("ord_nsf", Method::kCard, 1999);
  nsf.card_token = "tok_nsf";
  EXPECT_EQ(this->client().charge(nsf).outcome, ChargeOutcome::kInsufficientFunds);
  auto unknown_card = this->charge("ord_gift", Method::kGiftCard, 100);
  unknown_card.gift_card_code = "NO-SUCH-CARD";
  const auto invalid = this->client().charge(unknown_card);
  EXPECT_EQ(invalid.outcome, ChargeOutcome::kInvalid);
  EXPECT_FALSE(invalid.detail.empty());

  // Cash on delivery: pending until collected; no card details.
  const auto cod = this->client().charge(this->charge("ord_cod", Method::kCashOnDelivery, 700));
  ASSERT_EQ(cod.outcome, ChargeOutcome::kPending);
  ASSERT_TRUE(cod.payment.has_value());
  EXPECT_FALSE(cod.payment->card_brand.has_value());
  this->client().markCollected("ord_cod");
  EXPECT_EQ(this->client().forOrder("ord_cod")->status, "captured");

  EXPECT_FALSE(this->client().forOrder("ord_none").has_value());
  EXPECT_EQ(this->client().refund("ord_none"), RefundOutcome::kNothingToDo);
}

// Payments down (or refusing the credential): a charge is "unavailable", as
// a card provider that does not answer is, so the saga releases the stock
// and owes a refund; the other calls throw for the saga's recovery to retry.
TEST(PaymentsInternalRoutes, NoAnswerIsAnUnavailableChargeAndAPeerErrorElsewhere) {
  LocalPayments<Backend::kSqlite> local;
  local.start();
  const http::ServiceCredential credential{kSecret};
  auto server = std::make_unique<sql::test::InternalServer>(
      [&](http::Router& router) { addInternalRoutes(router, local.client(), credential); });
  net::HttpClient http;
  RemoteClient wrong(http, {server->url()}, std::string(kSecret) + "-wrong", 2000ms);
  ChargeRequest request;
  request.order_id = request.idempotency_key = "ord_1";
  request.method = Method::kCashOnDelivery;
  request.amount = 100;
  request.payer = "user:usr_1";
  EXPECT_EQ(wrong.charge(request).outcome, ChargeOutcome::kUnavailable);
  EXPECT_FALSE(local.client().forOrder("ord_1").has_value()) << "a refused call did nothing";
  const std::string url = server->url();
  server->stop();
  RemoteClient down(http, {url}, kSecret, 2000ms);
  EXPECT_EQ(down.charge(request).outcome, ChargeOutcome::kUnavailable);
  EXPECT_THROW(down.refund("ord_1"), net::PeerError);
  EXPECT_THROW(down.forOrder("ord_1"), net::PeerError);
  EXPECT_THROW(down.markCollected("ord_1"), net::PeerError);
}

}  // namespace
}  // namespace emporium::payments

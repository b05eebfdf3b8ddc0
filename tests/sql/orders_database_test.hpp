#pragma once
// What every test of the orders service's storage and checkout starts from:
// the orders database of this backend, migrated, with its outbox and store.

#include <memory>

#include "core/events/outbox.hpp"
#include "core/sql/migrations.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/orders/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {

class OrdersDatabaseTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    orders_db_ = open(service_ + "_orders");
    applyMigrations(*orders_db_, orders::migrations());
    outbox_ = std::make_unique<events::Outbox>("orders", *orders_db_, doorbell_);
    store_ = std::make_unique<orders::OrderStore>(*orders_db_, *outbox_);
  }

  std::unique_ptr<Database> orders_db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<orders::OrderStore> store_;
};

}  // namespace emporium::sql::test

#include "services/payments/client.hpp"

namespace emporium::payments {

std::string_view methodName(Method method) {
  switch (method) {
    case Method::kCard:
      return "card";
    case Method::kGiftCard:
      return "gift_card";
    case Method::kCashOnDelivery:
      return "cod";
  }
  return "card";
}

std::optional<Method> parseMethod(std::string_view name) {
  if (name == "card") return Method::kCard;
  if (name == "gift_card") return Method::kGiftCard;
  if (name == "cod") return Method::kCashOnDelivery;
  return std::nullopt;
}

}  // namespace emporium::payments

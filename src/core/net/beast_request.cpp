#include "core/net/beast_request.hpp"

namespace emporium::net {
namespace {

namespace bhttp = boost::beast::http;

http::Method toMethod(bhttp::verb verb, std::string_view text) {
  switch (verb) {
    case bhttp::verb::get:
      return http::Method::kGet;
    case bhttp::verb::head:
      return http::Method::kHead;
    case bhttp::verb::post:
      return http::Method::kPost;
    case bhttp::verb::put:
      return http::Method::kPut;
    case bhttp::verb::patch:
      return http::Method::kPatch;
    case bhttp::verb::delete_:
      return http::Method::kDelete;
    case bhttp::verb::options:
      return http::Method::kOptions;
    default:
      return http::parseMethod(text);
  }
}

}  // namespace

void configureParser(BeastParser& parser, std::size_t max_header_bytes,
                     std::size_t max_body_bytes) {
  parser.eager(true);
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
}

void fillRequest(const BeastRequest& msg, bool trust_forwarded_for, http::Request& req) {
  const auto target = msg.target();
  req.target = {target.data(), target.size()};
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string_view::npos) req.query = req.target.substr(q + 1);
  const auto method_text = msg.method_string();
  req.method = toMethod(msg.method(), {method_text.data(), method_text.size()});
  req.body = msg.body();
  req.headers.reserve(16);
  for (const auto& field : msg) {
    const auto name = field.name_string();
    const auto value = field.value();
    req.headers.push_back({{name.data(), name.size()}, {value.data(), value.size()}});
  }
  if (trust_forwarded_for) {
    if (const auto forwarded = req.header("X-Forwarded-For"); !forwarded.empty()) {
      auto last = forwarded.substr(forwarded.rfind(',') + 1);
      while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
      while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
      if (!last.empty()) req.client_ip = last;
    }
  }
}

}  // namespace emporium::net

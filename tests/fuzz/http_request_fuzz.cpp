// libFuzzer target: arbitrary bytes through the server's request path up to
// the handler — Beast's parser with our limits, the Request view, routing,
// query decoding, bearer extraction and problem+json rendering. Every
// response body it renders must be valid UTF-8 JSON.

#include <rapidjson/document.h>

#include <boost/asio/buffer.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/http/api_error.hpp"
#include "core/http/dispatch.hpp"
#include "core/json/body.hpp"
#include "core/json/utf8.hpp"
#include "core/net/beast_request.hpp"

namespace {

using namespace emporium;

const http::Router& router() {
  static const http::Router* const instance = [] {
    auto* r = new http::Router();
    const auto ok = [](http::Request&) { return http::Response::json(200, "{}"); };
    for (const char* pattern : {"/healthz", "/api/v1", "/api/v1/products", "/api/v1/products/{id}",
                                "/api/v1/products/{id}/reviews", "/api/v1/me/addresses/{id}",
                                "/api/v1/carts/{cart_id}/items/{sku}"}) {
      r->add(http::Method::kGet, pattern, ok);
    }
    r->add(http::Method::kPost, "/api/v1/auth/login", ok);
    return r;
  }();
  return *instance;
}

void requireValidJson(const std::string& body) {
  if (!json::isValidUtf8(body)) std::abort();
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (d.HasParseError()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  net::BeastParser parser;
  net::configureParser(parser, 8192, 65536);
  boost::beast::error_code ec;
  // Arrives in two pieces, as from a socket; like the server's flat_buffer,
  // bytes the parser did not consume stay buffered for the next put().
  std::string buffered;
  const std::size_t split = size / 2;
  for (const auto& [from, count] :
       {std::pair{std::size_t{0}, split}, std::pair{split, size - split}}) {
    buffered.append(reinterpret_cast<const char*>(data) + from, count);
    while (!buffered.empty() && !parser.is_done()) {
      const auto used = parser.put(boost::asio::buffer(buffered), ec);
      buffered.erase(0, used);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
    if (ec) break;
  }
  http::Request req;
  req.request_id = "fuzz";
  req.client_ip = "127.0.0.1";
  if (ec || !parser.is_done()) {
    // The server answers these with a 400/413/431 problem.
    requireValidJson(
        http::problemResponse(http::ApiError::badRequest(ec.message()), {}, "fuzz").body);
    return 0;
  }
  net::fillRequest(parser.get(), true, req);
  (void)req.queryParam("q");
  (void)req.queryParams("brand");
  (void)req.bearerToken();
  const auto match = router().match(req.method, req.path);
  if (match.route == nullptr) {
    requireValidJson(http::unmatchedResponse(match, req).body);
  }
  try {
    const auto body = json::Body::parse(req);
    (void)body.optionalString("email");
    (void)body.optionalInt("quantity");
  } catch (const http::ApiError& e) {
    requireValidJson(http::errorResponse(e, req).body);
  }
  return 0;
}

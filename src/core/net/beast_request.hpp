#pragma once
// The step from Beast's parsed message to the transport-free http::Request.
// Included only by connection.cpp and the fuzz targets: it pulls in Beast.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>

#include "core/http/request.hpp"

namespace emporium::net {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

/// Applies the server's limits to a fresh parser.
void configureParser(BeastParser& parser, std::size_t max_header_bytes, std::size_t max_body_bytes);

/// Fills method, target, path, query, headers and body of req with views into
/// msg, which must outlive req. With trust_forwarded_for, client_ip becomes the
/// last X-Forwarded-For entry when there is one.
void fillRequest(const BeastRequest& msg, bool trust_forwarded_for, http::Request& req);

}  // namespace emporium::net

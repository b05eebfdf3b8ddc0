#pragma once
// How every service mounts its internal routes (/internal/v1/<service>/...,
// what the other services' remote clients call): on the blocking pool, not
// counted by the per-client request limit (the gateway limits clients at the
// edge), public to tokens but refused (401) without the deployment's service
// credential, and with a body the wire format cannot read answered 422 naming
// the field (json::wire::ShapeError), as any other bad body is.

#include <functional>
#include <string>

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "core/json/body.hpp"

namespace emporium::http {

/// A handler of a JSON body (already parsed; an unparsable one is 400).
using InternalJsonHandler = std::function<Response(const json::Body& body)>;
/// A handler without a body (GET).
using InternalHandler = std::function<Response()>;

/// POST `path`: credential checked, body parsed, `handler` run.
/// `credential` outlives the router.
void addInternalRoute(Router& router, const std::string& path, const ServiceCredential& credential,
                      InternalJsonHandler handler);
/// GET `path`: credential checked, `handler` run.
void addInternalRoute(Router& router, const std::string& path, const ServiceCredential& credential,
                      InternalHandler handler);

/// 200 with the JSON text, never cached (answers about one caller's call).
Response internalAnswer(std::string json_text);

}  // namespace emporium::http

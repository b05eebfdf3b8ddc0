#pragma once
// Readiness probes for the servers Emporium can be configured to use. Each
// opens a fresh connection, does the cheapest real exchange the protocol has,
// and throws std::runtime_error saying why when the server does not answer.
// Blocking: call them off the event loops.

#include <chrono>
#include <string>

namespace emporium::deps {

/// redis://[user:password@]host[:port][/db]: connects, AUTHs if asked, PING -> PONG.
void probeRedis(const std::string& url, std::chrono::milliseconds timeout);

/// amqp://user:password@host[:port]/vhost: opens a connection and a channel.
void probeAmqp(const std::string& url, std::chrono::milliseconds timeout);

/// smtp://host[:port]: connects, reads the 220 greeting, EHLO, QUIT.
void probeSmtp(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace emporium::deps

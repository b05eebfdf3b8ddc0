#include <curl/curl.h>

#include <memory>
#include <stdexcept>

#include "core/deps/probes.hpp"

namespace emporium::deps {

void probeSmtp(const std::string& url, std::chrono::milliseconds timeout) {
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("cannot create a curl handle");
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  // CONNECT_ONLY stops after the protocol's connection phase, which for SMTP
  // is the 220 greeting and the EHLO exchange: a real answer, no mail sent.
  curl_easy_setopt(curl.get(), CURLOPT_CONNECT_ONLY, 1L);
  if (const CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    throw std::runtime_error(error[0] != '\0' ? error : curl_easy_strerror(rc));
  }
}

}  // namespace emporium::deps

#include "core/events/event.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

#include "core/json/writer.hpp"

namespace emporium::events {

std::string toJson(const Event& event) {
  json::Writer w;
  w.startObject()
      .member("id", event.id)
      .member("type", event.type)
      .member("version", event.version)
      .member("occurred_at", event.occurred_at)
      .member("source", event.source)
      .key("payload")
      .raw(event.payload.empty() ? std::string_view("{}") : std::string_view(event.payload))
      .endObject();
  return w.str();
}

std::optional<Event> parseEvent(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const auto string_member = [&doc](const char* name) -> std::optional<std::string> {
    const auto it = doc.FindMember(name);
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  Event event;
  auto id = string_member("id");
  auto type = string_member("type");
  auto occurred_at = string_member("occurred_at");
  if (!id || id->empty() || !type || type->empty() || !occurred_at) return std::nullopt;
  event.id = std::move(*id);
  event.type = std::move(*type);
  event.occurred_at = std::move(*occurred_at);
  event.source = string_member("source").value_or("");
  const auto version = doc.FindMember("version");
  if (version == doc.MemberEnd() || !version->value.IsInt()) return std::nullopt;
  event.version = version->value.GetInt();
  const auto payload = doc.FindMember("payload");
  if (payload == doc.MemberEnd() || !payload->value.IsObject()) return std::nullopt;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  payload->value.Accept(writer);
  event.payload.assign(buffer.GetString(), buffer.GetSize());
  return event;
}

namespace {

// Matches pattern words [pi..] against type words [ti..]; '#' may swallow
// any number of words, so it branches.
bool matchWords(const std::vector<std::string_view>& pattern, std::size_t pi,
                const std::vector<std::string_view>& type, std::size_t ti) {
  while (pi < pattern.size()) {
    if (pattern[pi] == "#") {
      for (std::size_t skip = ti; skip <= type.size(); ++skip) {
        if (matchWords(pattern, pi + 1, type, skip)) return true;
      }
      return false;
    }
    if (ti == type.size()) return false;
    if (pattern[pi] != "*" && pattern[pi] != type[ti]) return false;
    ++pi;
    ++ti;
  }
  return ti == type.size();
}

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    words.push_back(
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return words;
}

}  // namespace

bool topicMatches(std::string_view pattern, std::string_view type) {
  return matchWords(splitWords(pattern), 0, splitWords(type), 0);
}

}  // namespace emporium::events

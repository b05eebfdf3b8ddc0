#pragma once
// A small subset of Mustache for the mail templates, rendering over RapidJSON
// values:
//
//   {{name}}  {{a.b}}  {{.}}   a value; HTML-escaped in HTML mode, raw in text mode
//   {{{name}}}  {{&name}}      a value, never escaped
//   {{#name}}...{{/name}}      for each element of an array; once for any other
//                              truthy value (pushed as the context)
//   {{^name}}...{{/name}}      once when name is missing, null, false, "" or []
//   {{! comment }}
//
// A missing name renders as nothing. Section and comment tags alone on their
// line take the line with them, so text templates lay out cleanly.

#include <rapidjson/document.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::notifications {

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Escape { kNone, kHtml };

class Template {
 public:
  /// Parses the template; throws TemplateError (with the line number) on an
  /// unclosed tag, an unclosed section or a mismatched close.
  static Template parse(std::string_view source);

  /// Renders with `context` as the root; HTML mode escapes & < > " '.
  std::string render(const rapidjson::Value& context, Escape escape) const;

  struct Node;

 private:
  explicit Template(std::shared_ptr<const std::vector<Node>> nodes) : nodes_(std::move(nodes)) {}
  std::shared_ptr<const std::vector<Node>> nodes_;  // shared: templates are copied freely
};

/// & < > " ' as entities.
std::string escapeHtml(std::string_view text);

}  // namespace emporium::notifications

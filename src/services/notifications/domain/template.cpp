#include "services/notifications/domain/template.hpp"

#include <array>
#include <cstdio>

namespace emporium::notifications {

struct Template::Node {
  enum class Kind { kText, kValue, kRawValue, kSection, kInverted };
  Kind kind = Kind::kText;
  std::string text;  // kText: the text; otherwise the name
  std::vector<Node> children;
};

namespace {

using Node = Template::Node;
using Kind = Node::Kind;

// One tag or text run from the source, before sections are nested.
struct Token {
  enum class Type { kText, kValue, kRawValue, kOpen, kInvertedOpen, kClose, kComment };
  Type type = Type::kText;
  std::string text;
  std::size_t line = 1;
};

std::string trimName(std::string_view name) {
  const auto first = name.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = name.find_last_not_of(" \t");
  return std::string(name.substr(first, last - first + 1));
}

bool isStandaloneKind(Token::Type type) {
  return type == Token::Type::kOpen || type == Token::Type::kInvertedOpen ||
         type == Token::Type::kClose || type == Token::Type::kComment;
}

bool onlyBlanks(std::string_view text) {
  return text.find_first_not_of(" \t") == std::string_view::npos;
}

std::vector<Token> tokenize(std::string_view source) {
  std::vector<Token> tokens;
  std::size_t pos = 0;
  std::size_t line = 1;
  auto addText = [&](std::string_view text) {
    if (!text.empty()) tokens.push_back({Token::Type::kText, std::string(text), line});
    for (const char c : text) line += c == '\n' ? 1 : 0;
  };
  while (pos < source.size()) {
    const auto open = source.find("{{", pos);
    if (open == std::string_view::npos) {
      addText(source.substr(pos));
      break;
    }
    const bool triple = source.substr(open).starts_with("{{{");
    const std::string_view closer = triple ? "}}}" : "}}";
    const std::size_t body_start = open + (triple ? 3 : 2);
    const auto close = source.find(closer, body_start);
    if (close == std::string_view::npos) {
      throw TemplateError("line " + std::to_string(line) + ": unclosed tag");
    }
    const std::string_view body = source.substr(body_start, close - body_start);
    const std::size_t tag_end = close + closer.size();

    Token tag{Token::Type::kValue, trimName(body), line};
    if (triple) {
      tag.type = Token::Type::kRawValue;
    } else if (!body.empty()) {
      const std::string rest = trimName(body.substr(1));
      switch (body.front()) {
        case '#':
          tag = {Token::Type::kOpen, rest, line};
          break;
        case '^':
          tag = {Token::Type::kInvertedOpen, rest, line};
          break;
        case '/':
          tag = {Token::Type::kClose, rest, line};
          break;
        case '!':
          tag = {Token::Type::kComment, {}, line};
          break;
        case '&':
          tag = {Token::Type::kRawValue, rest, line};
          break;
        default:
          break;
      }
    }
    if (tag.type != Token::Type::kComment && tag.text.empty()) {
      throw TemplateError("line " + std::to_string(line) + ": empty tag");
    }

    // A standalone tag (only blanks around it on its line) removes its whole
    // line, so "{{#items}}\n- {{title}}\n{{/items}}\n" yields one line per item.
    std::string_view before = source.substr(pos, open - pos);
    std::size_t next = tag_end;
    if (isStandaloneKind(tag.type)) {
      const auto line_start = before.rfind('\n');
      const std::string_view lead =
          line_start == std::string_view::npos ? before : before.substr(line_start + 1);
      const bool at_line_start =
          line_start != std::string_view::npos || pos == 0 || source[pos - 1] == '\n';
      auto eol = source.find('\n', tag_end);
      const std::string_view trail =
          source.substr(tag_end, (eol == std::string_view::npos ? source.size() : eol) - tag_end);
      if (at_line_start && onlyBlanks(lead) && onlyBlanks(trail)) {
        before.remove_suffix(lead.size());
        next = eol == std::string_view::npos ? source.size() : eol + 1;
      }
    }
    addText(before);
    tag.line = line;
    tokens.push_back(std::move(tag));
    for (std::size_t i = open; i < next; ++i) line += source[i] == '\n' ? 1 : 0;
    pos = next;
  }
  return tokens;
}

// Nests the tokens into sections; `open` is the section being filled, if any.
std::size_t build(const std::vector<Token>& tokens, std::size_t index, std::vector<Node>& out,
                  const Token* open) {
  while (index < tokens.size()) {
    const Token& token = tokens[index++];
    switch (token.type) {
      case Token::Type::kText:
        out.push_back({Kind::kText, token.text, {}});
        break;
      case Token::Type::kValue:
        out.push_back({Kind::kValue, token.text, {}});
        break;
      case Token::Type::kRawValue:
        out.push_back({Kind::kRawValue, token.text, {}});
        break;
      case Token::Type::kComment:
        break;
      case Token::Type::kOpen:
      case Token::Type::kInvertedOpen: {
        Node section{
            token.type == Token::Type::kOpen ? Kind::kSection : Kind::kInverted, token.text, {}};
        index = build(tokens, index, section.children, &token);
        out.push_back(std::move(section));
        break;
      }
      case Token::Type::kClose:
        if (open == nullptr || open->text != token.text) {
          throw TemplateError("line " + std::to_string(token.line) + ": {{/" + token.text +
                              "}} closes nothing open");
        }
        return index;
    }
  }
  if (open != nullptr) {
    throw TemplateError("line " + std::to_string(open->line) + ": {{#" + open->text +
                        "}} is never closed");
  }
  return index;
}

// Resolves a dotted name: the first part is looked up from the innermost
// context outwards (so an item can see the order around it), the rest inside it.
const rapidjson::Value* lookup(const std::vector<const rapidjson::Value*>& stack,
                               std::string_view name) {
  if (name == ".") return stack.back();
  const auto dot = name.find('.');
  const std::string_view head = name.substr(0, dot);
  const rapidjson::Value* found = nullptr;
  for (auto it = stack.rbegin(); it != stack.rend() && found == nullptr; ++it) {
    if (!(*it)->IsObject()) continue;
    const auto member = (*it)->FindMember(
        rapidjson::Value(head.data(), static_cast<rapidjson::SizeType>(head.size())));
    if (member != (*it)->MemberEnd()) found = &member->value;
  }
  std::size_t pos = dot;
  while (found != nullptr && pos != std::string_view::npos) {
    const auto next = name.find('.', pos + 1);
    const std::string_view part =
        name.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    if (!found->IsObject()) return nullptr;
    const auto member = found->FindMember(
        rapidjson::Value(part.data(), static_cast<rapidjson::SizeType>(part.size())));
    found = member == found->MemberEnd() ? nullptr : &member->value;
    pos = next;
  }
  return found;
}

bool truthy(const rapidjson::Value* value) {
  if (value == nullptr || value->IsNull()) return false;
  if (value->IsBool()) return value->GetBool();
  if (value->IsString()) return value->GetStringLength() > 0;
  if (value->IsArray()) return !value->Empty();
  return true;
}

std::string scalarText(const rapidjson::Value* value) {
  if (value == nullptr) return {};
  if (value->IsString()) return {value->GetString(), value->GetStringLength()};
  if (value->IsBool()) return value->GetBool() ? "true" : "false";
  if (value->IsInt64()) return std::to_string(value->GetInt64());
  if (value->IsUint64()) return std::to_string(value->GetUint64());
  if (value->IsDouble()) {
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%g", value->GetDouble());
    return buffer.data();
  }
  return {};  // null, objects and arrays have no text
}

void renderNodes(const std::vector<Node>& nodes, std::vector<const rapidjson::Value*>& stack,
                 Escape escape, std::string& out) {
  for (const Node& node : nodes) {
    switch (node.kind) {
      case Kind::kText:
        out += node.text;
        break;
      case Kind::kValue: {
        const std::string text = scalarText(lookup(stack, node.text));
        out += escape == Escape::kHtml ? escapeHtml(text) : text;
        break;
      }
      case Kind::kRawValue:
        out += scalarText(lookup(stack, node.text));
        break;
      case Kind::kInverted:
        if (!truthy(lookup(stack, node.text))) renderNodes(node.children, stack, escape, out);
        break;
      case Kind::kSection: {
        const rapidjson::Value* value = lookup(stack, node.text);
        if (!truthy(value)) break;
        if (value->IsArray()) {
          for (const auto& item : value->GetArray()) {
            stack.push_back(&item);
            renderNodes(node.children, stack, escape, out);
            stack.pop_back();
          }
        } else {
          stack.push_back(value);
          renderNodes(node.children, stack, escape, out);
          stack.pop_back();
        }
        break;
      }
    }
  }
}

}  // namespace

Template Template::parse(std::string_view source) {
  auto nodes = std::make_shared<std::vector<Node>>();
  build(tokenize(source), 0, *nodes, nullptr);
  return Template(std::move(nodes));
}

std::string Template::render(const rapidjson::Value& context, Escape escape) const {
  std::string out;
  std::vector<const rapidjson::Value*> stack{&context};
  renderNodes(*nodes_, stack, escape, out);
  return out;
}

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace emporium::notifications

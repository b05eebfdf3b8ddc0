#include "services/notifications/domain/templates.hpp"

#include <fstream>
#include <sstream>

namespace emporium::notifications {
namespace {

constexpr std::string_view kSubjectPrefix = "Subject:";

std::optional<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw TemplateError("cannot read " + path.string());
  return text.str();
}

}  // namespace

Templates Templates::load(const std::optional<std::filesystem::path>& dir) {
  Templates templates;
  for (const auto& embedded : embeddedTemplates()) {
    const std::filesystem::path file(embedded.file);
    std::string source(embedded.text);
    if (dir) {
      if (auto override_text = readFile(*dir / file)) source = std::move(*override_text);
    }
    const std::string name = file.stem().string();
    Entry& entry = templates.templates_[name];
    try {
      if (file.extension() == ".html") {
        entry.html = Template::parse(source);
        continue;
      }
      // The subject is the first line; the body starts after the blank line.
      if (!std::string_view(source).starts_with(kSubjectPrefix)) {
        throw TemplateError("the first line must be 'Subject: ...'");
      }
      const auto eol = source.find('\n');
      std::string subject = source.substr(kSubjectPrefix.size(), eol - kSubjectPrefix.size());
      if (subject.ends_with('\r')) subject.pop_back();
      subject.erase(0, subject.find_first_not_of(' '));
      std::string body = eol == std::string::npos ? std::string() : source.substr(eol + 1);
      if (body.starts_with("\r\n")) body.erase(0, 2);
      if (body.starts_with('\n')) body.erase(0, 1);
      entry.subject = Template::parse(subject);
      entry.text = Template::parse(body);
    } catch (const TemplateError& e) {
      throw TemplateError("mail template " + file.string() + ": " + e.what());
    }
  }
  for (const auto& [name, entry] : templates.templates_) {
    if (!entry.text || !entry.html) {
      std::string message = "mail template ";
      message.append(name).append(" needs both ").append(name).append(".txt and ");
      message.append(name).append(".html");
      throw TemplateError(message);
    }
  }
  return templates;
}

RenderedMail Templates::render(std::string_view name, const rapidjson::Value& context) const {
  const auto it = templates_.find(name);
  if (it == templates_.end()) throw TemplateError("no mail template " + std::string(name));
  const Entry& entry = it->second;
  return {entry.subject->render(context, Escape::kNone), entry.text->render(context, Escape::kNone),
          entry.html->render(context, Escape::kHtml)};
}

}  // namespace emporium::notifications

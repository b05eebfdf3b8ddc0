#include "services/users/domain/common_passwords.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace emporium::users {
namespace {

// Passwords of at least 8 characters that top the public breach-corpus
// lists, lower-cased. A short list stops the guesses attackers try first
// without annoying people with rules.
constexpr std::array<std::string_view, 177> kCommonPasswords = {
    "password",     "12345678",     "123456789",   "1234567890",    "qwertyuiop", "password1",
    "password123",  "iloveyou1",    "iloveyou",    "11111111",      "00000000",   "12341234",
    "123123123",    "1q2w3e4r",     "1q2w3e4r5t",  "1qaz2wsx",      "qwerty123",  "qwerty12",
    "qwertyui",     "sunshine",     "princess",    "football",      "baseball",   "whatever",
    "superman",     "trustno1",     "starwars",    "computer",      "michelle",   "jennifer",
    "abcd1234",     "abc12345",     "letmein1",    "welcome1",      "welcome123", "passw0rd",
    "p@ssw0rd",     "p@ssword",     "password!",   "monkey123",     "dragon123",  "master123",
    "shadow123",    "11223344",     "87654321",    "99999999",      "88888888",   "12121212",
    "55555555",     "asdfghjk",     "asdfghjkl",   "zxcvbnm1",      "zxcvbnm123", "qazwsxedc",
    "q1w2e3r4",     "q1w2e3r4t5",   "admin123",    "administrator", "changeme",   "changeme1",
    "default1",     "internet",     "samsung1",    "charlie1",      "1234qwer",   "qwer1234",
    "asdf1234",     "zaq12wsx",     "blink182",    "987654321",     "123qweasd",  "123456789a",
    "a123456789",   "iloveyou2",    "loveyou1",    "freedom1",      "football1",  "baseball1",
    "princess1",    "sunshine1",    "superman1",   "batman123",     "pokemon1",   "chocolate",
    "butterfly",    "basketball",   "liverpool",   "cheese123",     "summer2024", "summer2025",
    "summer2026",   "winter2024",   "winter2025",  "spring2025",    "autumn2025", "password2024",
    "password2025", "password2026", "welcome2024", "welcome2025",   "letmein123", "qwertyuiop123",
    "1qaz2wsx3edc", "7777777777",   "123654789",   "147258369",     "159753456",  "741852963",
    "abcdefgh",     "abcdefg1",     "aaaaaaaa",    "1111111111",    "0987654321", "mypassword",
    "secret123",    "trustme1",     "hello123",    "hello1234",     "helloworld", "whatever1",
    "nothing1",     "jordan23",     "michael1",    "jessica1",      "ashley12",   "daniel12",
    "thomas12",     "hunter12",     "hunter123",   "killer12",      "mustang1",   "jasmine1",
    "maverick1",    "corvette",     "ferrari1",    "mercedes",      "harley12",   "yankees1",
    "lakers24",     "cowboys1",     "steelers",    "eagles12",      "chelsea1",   "arsenal1",
    "barcelona",    "realmadrid",   "manchester",  "computer1",     "internet1",  "security1",
    "login123",     "access14",     "service1",    "support1",      "testing1",   "test1234",
    "test12345",    "guest123",     "user1234",    "root1234",      "toor1234",   "oracle12",
    "mysql123",     "postgres",     "webmaster",   "shopping",      "shop1234",   "store123",
    "emporium",     "emporium1",    "amazon123",   "ebay1234",      "paypal12",   "bitcoin1",
    "monkey12",     "starwars1",    "pokemon12",
};

}  // namespace

bool isCommonPassword(std::string_view password) {
  std::string lower(password);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lower) !=
         kCommonPasswords.end();
}

std::size_t commonPasswordCount() { return kCommonPasswords.size(); }

}  // namespace emporium::users

#include "core/json/utf8.hpp"

#include <gtest/gtest.h>

namespace emporium::json {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x9B\x92"));  // ë € 🛒
}

TEST(Utf8, RejectsIllFormedSequences) {
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(isValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));
}

TEST(Utf8, SanitizeReplacesOnlyTheBadBytes) {
  EXPECT_EQ(sanitizeUtf8("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitizeUtf8("\xE2\x82\xAC"), "\xE2\x82\xAC");
}

}  // namespace
}  // namespace emporium::json

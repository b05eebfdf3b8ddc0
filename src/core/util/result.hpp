#pragma once
// A value or a typed error, for what a service returns across its boundary
// (its contract, its domain layer), in place of exceptions or http::Response.
// std::expected is C++23; this is the part of it the services use.

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace emporium::util {

/// Wraps an error so that Result<T, E> can be built from it even when T and E
/// are the same type: `return util::Err{OrderError::kNotFound};`.
template <class E>
struct Err {
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Err<E> error)                                       // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<1>, std::move(error.error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// Only when ok().
  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  /// Only when !ok().
  const E& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, E> state_;
};

/// Success with nothing to return, or an error.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Err<E> error)
      : error_(std::move(error.error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  /// Only when !ok().
  const E& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace emporium::util

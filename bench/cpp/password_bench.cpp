// What one password hash costs: the floor under login and register latency
// and the ceiling on sign-ins per second per core.
//
//   build/release/bench/cpp/password_bench

#include <benchmark/benchmark.h>
#include <sodium.h>

#include "services/users/domain/password.hpp"

namespace {

void BM_Argon2idHash(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(emporium::users::hashPassword("correct horse battery"));
}
BENCHMARK(BM_Argon2idHash)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Argon2idVerify(benchmark::State& state) {
  const auto hash = emporium::users::hashPassword("correct horse battery");
  for (auto _ : state) {
    benchmark::DoNotOptimize(emporium::users::verifyPassword("correct horse battery", hash));
  }
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}

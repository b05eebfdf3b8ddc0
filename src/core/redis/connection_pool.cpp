#include "core/redis/connection_pool.hpp"

#include <hiredis/hiredis.h>

namespace emporium::redis {

bool contextBroken(const redisContext& context) { return context.err != 0; }

}  // namespace emporium::redis

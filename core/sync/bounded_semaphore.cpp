#include "bounded_semaphore.h"

#include "process/errors.h"

namespace forkscope {

namespace {
std::uint32_t checkedBound(std::uint32_t value) {
    if (value == 0) {
        throw ProcessError("BoundedSemaphore(0) could never be released: the bound must be at least 1");
    }
    return value;
}
} // namespace

BoundedSemaphore::BoundedSemaphore(std::uint32_t value, std::string_view name)
    : Semaphore(value, checkedBound(value), name) {}

} // namespace forkscope

#include "shared_region.h"

#include "process/errors.h"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>

namespace forkscope {

SharedRegion::Mapping::~Mapping() {
    if (address != nullptr) {
        ::munmap(address, size);
    }
}

namespace {
void* mapShared(int fd, std::size_t size, const std::string& what) {
    void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) {
        throw OsError("mmap of " + std::to_string(size) + " bytes for " + what, errno);
    }
    return address;
}
} // namespace

SharedRegion SharedRegion::create(std::size_t size, const char* label) {
    if (size == 0) {
        size = 1; // mmap refuses zero bytes; an empty Array still needs a valid handle
    }
    UniqueFd fd(::memfd_create(label, MFD_CLOEXEC));
    if (!fd) {
        throw OsError(std::string("memfd_create for ") + label, errno);
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        throw OsError(std::string("ftruncate of the memfd for ") + label + " to " + std::to_string(size) +
                          " bytes",
                      errno);
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->address = mapShared(fd.get(), size, label);
    mapping->size = size;
    mapping->fd = std::move(fd);
    SharedRegion region;
    region.mapping_ = std::move(mapping);
    return region;
}

SharedRegion SharedRegion::attach(int fd, std::size_t expectedSize) {
    UniqueFd own(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!own) {
        throw OsError("dup of shared region fd " + std::to_string(fd) + " received as a start argument",
                      errno);
    }
    struct stat info {};
    if (::fstat(own.get(), &info) != 0) {
        throw OsError("fstat of shared region fd " + std::to_string(fd), errno);
    }
    if (static_cast<std::uint64_t>(info.st_size) != expectedSize || expectedSize == 0) {
        throw SerializationError("shared region received as fd " + std::to_string(fd) + " has " +
                                 std::to_string(info.st_size) + " bytes, but the sender announced " +
                                 std::to_string(expectedSize));
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->address = mapShared(own.get(), expectedSize, "a received shared region");
    mapping->size = expectedSize;
    mapping->fd = std::move(own);
    SharedRegion region;
    region.mapping_ = std::move(mapping);
    return region;
}

void SharedRegion::checkSize(std::size_t needed, const char* what) const {
    if (!mapping_) {
        throw ProcessError(std::string(what) +
                           ": the shared region is empty (a moved-from or unloaded handle)");
    }
    if (mapping_->size < needed) {
        throw SerializationError(std::string(what) + ": shared region of " + std::to_string(mapping_->size) +
                                 " bytes is too small for its state (" + std::to_string(needed) + " bytes)");
    }
}

} // namespace forkscope

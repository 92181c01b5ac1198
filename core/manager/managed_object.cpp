#include "managed_object.h"

namespace forkscope {

const nlohmann::json& ManagedObject::argument(const nlohmann::json& args, std::size_t index) {
    static const nlohmann::json null;
    if (!args.is_array() || index >= args.size()) {
        return null;
    }
    return args[index];
}

} // namespace forkscope

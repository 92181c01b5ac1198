#include "task_args.h"

namespace forkscope {

SerializedArg Arg::serialize(std::size_t position, std::string_view method) const {
    if (!save_) {
        std::string label = "argument " + std::to_string(position);
        if (!name_.empty()) {
            label += " ('" + name_ + "')";
        }
        throw SerializationError("cannot serialize " + label + " of type " + demangledName(*type_) +
                                 " for the '" + std::string(method) + "' start method: " + whyNot_ +
                                 " (under 'fork' the child inherits it, so any argument works)");
    }
    return SerializedArg{name_, type_->name(), save_(value_.get())};
}

TaskArgs TaskArgs::fromMemory(Args args) {
    TaskArgs result;
    result.memory_ = std::move(args);
    return result;
}

TaskArgs TaskArgs::fromSerialized(std::vector<SerializedArg> args, FdTable fds) {
    TaskArgs result;
    result.decoded_.resize(args.size());
    result.serialized_ = std::make_shared<std::vector<SerializedArg>>(std::move(args));
    result.fds_ = std::move(fds);
    return result;
}

std::size_t TaskArgs::size() const noexcept {
    return serialized_ ? serialized_->size() : memory_.size();
}

std::string TaskArgs::name(std::size_t index) const {
    checkIndex(index);
    return serialized_ ? (*serialized_)[index].name : memory_[index].name();
}

void TaskArgs::checkIndex(std::size_t index) const {
    if (index >= size()) {
        throw ProcessError("task asked for argument " + std::to_string(index) + " but was given " +
                           std::to_string(size()));
    }
}

void TaskArgs::throwTypeMismatch(std::size_t index, const std::string& have, const std::string& want) const {
    throw ProcessError("argument " + std::to_string(index) + " holds " + have + ", not " + want);
}

} // namespace forkscope

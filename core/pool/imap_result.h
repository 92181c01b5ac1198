#pragma once

#include "pool_core.h"

#include <iterator>
#include <memory>
#include <optional>

namespace forkscope {

/// The lazily consumed results of imap (in order) and imapUnordered (in order of arrival):
/// next() hands out each result as soon as it is there, while later tasks still run. A chunk
/// that raised is reported once, as TaskError, where its results would have been.
template <class R> class ImapResult {
public:
    ImapResult(std::shared_ptr<detail::PoolCore> core, std::shared_ptr<detail::ResultJob<R>> job,
               bool ordered)
        : core_(std::move(core)), job_(std::move(job)), ordered_(ordered) {}

    /// The next result, nullopt once all were consumed; TimeoutError after `timeout` seconds.
    std::optional<R> next(fdio::Timeout timeout = std::nullopt) {
        core_->checkOwner("iterate the results of");
        if (!ordered_ && current_ < currentEnd_) {
            return core_->locked([this] { return std::move(job_->results[current_++]); });
        }
        if ((ordered_ && position_ >= job_->items) || (!ordered_ && consumedChunks_ >= job_->chunks)) {
            return std::nullopt;
        }
        const bool ready = core_->waitUntil(
            [this] {
                if (job_->error) {
                    return true;
                }
                return ordered_ ? job_->itemStates[position_] != detail::ItemState::Pending
                                : !job_->arrivals.empty();
            },
            timeout);
        if (!ready) {
            throw TimeoutError("timed out after " + std::to_string(*timeout) +
                               " s waiting for the next result of " + job_->describe() + " of " +
                               core_->name());
        }
        std::exception_ptr error;
        std::optional<R> value = core_->locked([&]() -> std::optional<R> {
            if (ordered_) {
                const std::size_t chunk = position_ / job_->chunksize;
                switch (job_->itemStates[position_]) {
                case detail::ItemState::Done:
                    return std::move(job_->results[position_++]);
                case detail::ItemState::Failed:
                    error = job_->chunkErrors[chunk];
                    position_ = job_->chunkEnd(chunk);
                    return std::nullopt;
                case detail::ItemState::Pending:
                    error = job_->error;
                    return std::nullopt;
                }
            }
            if (job_->arrivals.empty()) {
                error = job_->error;
                return std::nullopt;
            }
            const std::size_t chunk = job_->arrivals.front();
            job_->arrivals.pop_front();
            ++consumedChunks_;
            if (job_->itemStates[job_->chunkBegin(chunk)] == detail::ItemState::Failed) {
                error = job_->chunkErrors[chunk];
                return std::nullopt;
            }
            current_ = job_->chunkBegin(chunk);
            currentEnd_ = job_->chunkEnd(chunk);
            return std::move(job_->results[current_++]);
        });
        if (error) {
            std::rethrow_exception(error);
        }
        return value;
    }

    [[nodiscard]] std::size_t size() const noexcept { return job_->items; }

    /// For range-for: each step calls next() without a limit.
    class Iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = R;
        using difference_type = std::ptrdiff_t;
        Iterator() = default;
        explicit Iterator(ImapResult* owner) : owner_(owner) { advance(); }
        const R& operator*() const { return *value_; }
        Iterator& operator++() {
            advance();
            return *this;
        }
        bool operator==(const Iterator& other) const { return owner_ == other.owner_; }

    private:
        void advance() {
            value_ = owner_->next();
            if (!value_) {
                owner_ = nullptr;
            }
        }
        ImapResult* owner_ = nullptr;
        std::optional<R> value_;
    };
    Iterator begin() { return Iterator(this); }
    Iterator end() { return Iterator(); }

private:
    std::shared_ptr<detail::PoolCore> core_;
    std::shared_ptr<detail::ResultJob<R>> job_;
    bool ordered_;
    std::size_t position_ = 0;
    std::size_t consumedChunks_ = 0;
    std::size_t current_ = 0;
    std::size_t currentEnd_ = 0;
};

} // namespace forkscope

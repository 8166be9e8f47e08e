// SPDX-License-Identifier: BSD-3-Clause
/* What every DCMTK user in plugin/dicom does alike (C++ only): the text of
 * an OFCondition, and DCMTK's process-wide codec registries set up once and
 * given back at exit. */
#ifndef TSC_DCMTK_PRIVATE_H
#define TSC_DCMTK_PRIVATE_H

#ifndef __cplusplus
#error "dcmtk_private.h is for the C++ files of plugin/"
#endif

#include <dcmtk/config/osconfig.h>

#include <dcmtk/ofstd/ofcond.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>
#include <string>

/* DCMTK's text of `cond`, never empty. */
inline std::string tsc__condition_text(const OFCondition &cond)
{
    return cond.text() ? std::string(cond.text()) : std::string("unknown DCMTK error");
}

/* A set of codecs in DCMTK's global registry: ensure() registers them once
 * per process; the static destructor gives them back when the process exits
 * (before LeakSanitizer's exit check).  Define one at namespace scope. */
class tsc__dcmtk_codecs
{
  public:
    constexpr explicit tsc__dcmtk_codecs(void (*cleanup)()) : cleanup_(cleanup)
    {
    }
    ~tsc__dcmtk_codecs()
    {
        if (registered_) cleanup_();
    }
    tsc__dcmtk_codecs(const tsc__dcmtk_codecs &) = delete;
    tsc__dcmtk_codecs &operator=(const tsc__dcmtk_codecs &) = delete;

    /* Runs `register_codecs` the first time only, after silencing DCMTK's
     * log: it would go to stderr, and its messages may quote patient data
     * (our hosts decide what is shown). */
    void ensure(void (*register_codecs)())
    {
        std::call_once(once_, [&] {
            OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
            register_codecs();
            registered_ = true;
        });
    }

  private:
    std::once_flag once_;
    bool registered_ = false;
    void (*cleanup_)();
};

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* What the C++ files of plugin/net share (tsc__net): the node's settings,
 * DCMTK's association set-up, failures in words, and the one handling of a
 * received object that both retrieves use, by C-GET on our association
 * (pacs_scu.cc) and by C-MOVE to our own Store SCP (pacs_move.cc). */
#ifndef TSC_PACS_PRIVATE_H
#define TSC_PACS_PRIVATE_H

#ifndef __cplusplus
#error "pacs_private.h is for the C++ files of plugin/net"
#endif

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/dcmtls/tlslayer.h>

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "tsc_pacs.h"

namespace tsc__net
{

[[noreturn]] void fail(tsc_status st, const std::string &msg);

/* A peer that closes the socket while we write would raise SIGPIPE and end
 * the host (the viewer).  Blocked on this thread for the call; a SIGPIPE
 * raised meanwhile is consumed before unblocking. */
struct SigpipeGuard {
    sigset_t pipe, old;
    bool was_pending = false;
    SigpipeGuard()
    {
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending = sigismember(&pending, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, &old);
    }
    ~SigpipeGuard()
    {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending && sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            sigtimedwait(&pipe, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
};

struct Node {
    std::string host, called, calling;
    int port = 0, timeout = 30;
    bool tls = false;
    std::string ca, cert, key;
    std::string where() const
    {
        return "PACS node " + called + " at " + host + ":" + std::to_string(port);
    }
};

bool valid_ae(const std::string &ae);
/* The host's node read up to its struct_size, checked. */
Node check_node(const tsc_pacs_node *given);
/* DCMTK's condition (with its sub-conditions) as one line. */
std::string dcmtk_text(const OFCondition &c);
bool has(const std::string &s, const char *what);
/* A SOP or Study Instance UID safe as a file name: digits and dots, no
 * empty part. */
bool safe_uid(const std::string &u);

/* DcmSCU with the protected members we need made public. */
class Scu : public DcmSCU
{
  public:
    using DcmSCU::findPresentationContext;
    using DcmSCU::useSecureConnection;
};

/* Deletes a TLS layer, then frees the calling thread's OpenSSL state (its
 * random generators and error queue).  The host's worker thread outlives
 * the call: left to OpenSSL's thread-exit handler, that state would be
 * freed whenever the host's pool lets the thread go, possibly while the
 * process exits (LeakSanitizer then reports it as leaked).  OpenSSL makes
 * the state again if the thread uses it later. */
struct TlsLayerDelete {
    void operator()(DcmTLSTransportLayer *tls) const;
};

/* The TLS layer of one association; declared before the DcmSCU that uses
 * it, so that it outlives the association (DCMTK does not own it). */
using TlsLayer = std::unique_ptr<DcmTLSTransportLayer, TlsLayerDelete>;

/* Trusts the node's CA file (or the system's certificates), loads our
 * certificate and key when the node has them, the BCP 195 profile, and
 * requires the peer's certificate; for either role. */
void tls_configure(DcmTLSTransportLayer *tls, const Node &n);

/* Settings every association of ours shares. */
void configure(DcmSCU &scu, const Node &n);
void connect(Scu &scu, const Node &n, TlsLayer &tls);
T_ASC_PresentationContextID accepted(DcmSCU &scu, const Node &n, const char *sop_class,
                                     const char *what);
/* A failure of a DIMSE exchange on an open association, in words. */
[[noreturn]] void fail_dimse(const Node &n, const char *what, const OFCondition &c);

/* Releases on the normal path, aborts on the others (the node then drops
 * what was pending). */
struct Association {
    DcmSCU &scu;
    bool release = false;
    explicit Association(DcmSCU &s) : scu(s)
    {
    }
    ~Association()
    {
        if (scu.isConnected())
            scu.closeAssociation(release ? DCMSCU_RELEASE_ASSOCIATION : DCMSCU_ABORT_ASSOCIATION);
    }
};

const OFList<OFString> &plain_syntaxes();
/* Uncompressed, JPEG, JPEG-LS, JPEG 2000, RLE and deflated: uncompressed
 * first, or the lossless compressed ones first. */
const OFList<OFString> &image_syntaxes(bool lossless_first = false);

/* The storage SOP classes a brain MR study may hold, ours included: what a
 * retrieve takes, and all that our Store SCP accepts. */
inline constexpr const char *k_storage_classes[] = {
    UID_MRImageStorage,
    UID_EnhancedMRImageStorage,
    UID_EnhancedMRColorImageStorage,
    UID_MRSpectroscopyStorage,
    UID_CTImageStorage,
    UID_EnhancedCTImageStorage,
    UID_PositronEmissionTomographyImageStorage,
    UID_SecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
    UID_MultiframeTrueColorSecondaryCaptureImageStorage,
    UID_SegmentationStorage,
    UID_BasicTextSRStorage,
    UID_EnhancedSRStorage,
    UID_ComprehensiveSRStorage,
    UID_Comprehensive3DSRStorage,
    UID_KeyObjectSelectionDocumentStorage,
    UID_EncapsulatedPDFStorage,
    UID_GrayscaleSoftcopyPresentationStateStorage,
    UID_RawDataStorage,
};

/* What a retrieve does with each object the node sends, whichever way it
 * comes: the checks (of the study asked for, a SOP Instance UID safe as a
 * file name, a SOP Class), the atomic write of <SOPInstanceUID>.dcm into the
 * cache folder, the instance limit, the count and the progress callback
 * (whose nonzero answer cancels).  Thread-safe: our Store SCP calls take()
 * on its own thread while the retrieve waits for the node's replies. */
class Receiver
{
  public:
    Receiver(const std::string &study_uid, const std::string &folder, size_t max_instances,
             tsc_pacs_progress_fn fn, void *fn_user);
    /* Checks and writes one object; returns the C-STORE status to answer.
     * *stop is set when nothing more should be taken: cancelled, the limit
     * reached, or the cache cannot be written. */
    Uint16 take(DcmDataset *ds, bool *stop);
    /* A C-GET or C-MOVE response (may be NULL): how many objects the node
     * says the study has. */
    void saw(const RetrieveResponse *rsp);
    bool stopping();

    /* Read once the transfer has ended. */
    const std::string study, dir;
    const size_t max;
    size_t received = 0, refused = 0, total = 0;
    bool cancelled = false, over_limit = false;
    std::string first_refusal;
    tsc_error write_err;

  private:
    tsc_pacs_progress_fn progress;
    void *user;
    std::mutex mu;
};

/* The end of a retrieve in words, once the transfer is over: what the
 * receiver met first (cache not writable, the limit, cancel), then the
 * node's final status (`c`: the C-GET or C-MOVE exchange itself).  `a` is
 * released when the exchange ended normally. */
tsc_status retrieve_outcome(const Node &n, const Receiver &rx, bool move, const OFCondition &c,
                            Uint16 final_status, size_t failed_subops, Association &a,
                            tsc_error *err);

/* Asks the node on `scu` (with the contexts it needs besides the
 * query/retrieve model's) for the whole study: by C-GET, or by C-MOVE to
 * our AE title; `replied` (may be empty) runs once the node's last reply is
 * in; then says how it ended (retrieve_outcome). */
tsc_status request_study(Scu &scu, const Node &n, Receiver &rx, bool move, TlsLayer &tls,
                         const std::function<void()> &replied, tsc_error *err);

/* C-MOVE of the study to our own Store SCP (pacs_move.cc). */
tsc_status move_study(const Node &n, const tsc_pacs_retrieve_params &p, Receiver &rx,
                      tsc_error *err);

} // namespace tsc__net

#endif

// SPDX-License-Identifier: BSD-3-Clause
/* tsc_pacs.h over DCMTK's DcmSCU: one association per call, DIMSE in
 * non-blocking mode so that every wait has the node's timeout, DCMTK's
 * failures turned into words a user can act on. */
#include "tsc_pacs.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <openssl/crypto.h>

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "firewall_private.h"
#include "pacs_private.h"
#include "read_private.h"
#include "render_private.h"
#include "struct_size_private.h"

struct tsc_pacs_study_list {
    std::vector<tsc_pacs_study> studies;
    bool has_more = false;
};

namespace tsc__net
{

[[noreturn]] void fail(tsc_status st, const std::string &msg)
{
    throw tsc__status_error{st, msg};
}

bool valid_ae(const std::string &ae)
{
    if (ae.empty() || ae.size() > 16) return false;
    bool any = false;
    for (unsigned char ch : ae) {
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return false;
        any |= ch != ' ';
    }
    return any;
}

Node check_node(const tsc_pacs_node *given)
{
    if (!given) fail(TSC_EINVAL, "no PACS node given");
    /* Only the bytes the host's struct has (docs/PLUGIN_ABI.md rule 4). */
    tsc_pacs_node node;
    memset(&node, 0, sizeof node);
    TSC__PARAMS_COPY(&node, given);
    const tsc_pacs_node *n = &node;
    Node o;
    o.host = n->host ? n->host : "";
    o.called = n->called_ae ? n->called_ae : "";
    o.calling = n->calling_ae && n->calling_ae[0] ? n->calling_ae : "TUMORSCOPE";
    o.port = n->port;
    o.timeout = n->timeout_s > 0 ? n->timeout_s : 30;
    if (o.host.empty()) fail(TSC_EINVAL, "the PACS node has no host name: set it in Preferences");
    if (o.port < 1 || o.port > 65535)
        fail(TSC_EINVAL, "PACS node port " + std::to_string(o.port) + " is not in 1..65535");
    if (!valid_ae(o.called))
        fail(TSC_EINVAL, "PACS node AE title '" + o.called +
                             "' is not valid: 1 to 16 printable characters, no backslash");
    o.tls = n->tls != 0;
    o.ca = n->tls_ca_file ? n->tls_ca_file : "";
    o.cert = n->tls_cert_file ? n->tls_cert_file : "";
    o.key = n->tls_key_file ? n->tls_key_file : "";
    if (o.tls && o.cert.empty() != o.key.empty())
        fail(TSC_EINVAL, "TLS for " + o.where() +
                             ": give both our certificate and its private key, or neither");
    if (!valid_ae(o.calling))
        fail(TSC_EINVAL, "our AE title '" + o.calling +
                             "' is not valid: 1 to 16 printable characters, no backslash");
    return o;
}

/* DCMTK's condition (with its sub-conditions) as one line. */
std::string dcmtk_text(const OFCondition &c)
{
    OFString s;
    DimseCondition::dump(s, c);
    std::string t = s.c_str();
    std::replace(t.begin(), t.end(), '\n', ' ');
    return t;
}

bool has(const std::string &s, const char *what)
{
    return s.find(what) != std::string::npos;
}

/* A failure to connect or negotiate, in words. */
[[noreturn]] void fail_connect(const Node &n, const OFCondition &c)
{
    std::string t = dcmtk_text(c);
    if (n.tls && (has(t, "certificate") || has(t, "TLS") || has(t, "SSL") || has(t, "ssl")))
        fail(TSC_EIO, "the TLS handshake with " + n.where() + " failed: " +
                          (has(t, "verify") || has(t, "certificate")
                               ? "its certificate is not trusted (check the trusted certificate "
                                 "file in Preferences) or it refused ours"
                               : "it may not speak TLS on this port") +
                          " (" + t + ")");
    if (c == DUL_ASSOCIATIONREJECTED)
        fail(TSC_EIO, n.where() + " rejected the association: check that its AE title is '" +
                          n.called + "' and that it accepts ours ('" + n.calling +
                          "') from this host");
    if (c == NET_EC_NoAcceptablePresentationContexts || has(t, "No acceptable Presentation"))
        fail(TSC_EUNSUPPORTED, n.where() + " accepts none of the kinds of object offered: it " +
                                   "may be read-only for our AE title ('" + n.calling +
                                   "') or not take these objects");
    if (has(t, "Connection refused"))
        fail(TSC_EIO, "nothing listens at " + n.host + ":" + std::to_string(n.port) +
                          " (connection refused): check the port and that the PACS is running");
    if (has(t, "timed out") || has(t, "Timeout") || has(t, "timeout"))
        fail(TSC_EIO, n.where() + " did not answer within " + std::to_string(n.timeout) +
                          " s: check the host, the port and the firewall");
    if (has(t, "Unknown host") || has(t, "unknown host") || has(t, "getaddrinfo") ||
        has(t, "Name or service"))
        fail(TSC_EIO, "the PACS host name '" + n.host + "' is unknown: check it in Preferences");
    if (c == DUL_PEERABORTEDASSOCIATION || has(t, "Peer aborted"))
        fail(TSC_EIO, n.where() + " closed the connection before the association was set up: " +
                          (n.tls ? "check its TLS settings" : "it may expect TLS on this port") +
                          " (" + t + ")");
    fail(TSC_EIO, "could not talk to " + n.where() + ": " + t);
}

/* Settings every association of ours shares. */
void configure(DcmSCU &scu, const Node &n)
{
    /* Once per process: DCMTK quiet (its messages may quote patient data)
     * and its decoders registered, so that a compressed file can go to a
     * node that takes only uncompressed data. */
    tsc_dicom_internal::register_codecs();
    scu.setAETitle(n.calling.c_str());
    scu.setPeerHostName(n.host.c_str());
    scu.setPeerPort(static_cast<Uint16>(n.port));
    scu.setPeerAETitle(n.called.c_str());
    scu.setConnectionTimeout(n.timeout);
    scu.setACSETimeout(static_cast<Uint32>(n.timeout));
    scu.setDIMSETimeout(static_cast<Uint32>(n.timeout));
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setVerbosePCMode(OFFalse);
}

const OFList<OFString> &plain_syntaxes()
{
    static const OFList<OFString> ts = [] {
        OFList<OFString> l;
        l.push_back(UID_LittleEndianExplicitTransferSyntax);
        l.push_back(UID_LittleEndianImplicitTransferSyntax);
        return l;
    }();
    return ts;
}

void tls_configure(DcmTLSTransportLayer *tls, const Node &n)
{
    auto check = [&](const OFCondition &c, const std::string &what) {
        if (c.bad()) fail(TSC_EINVAL, "TLS for " + n.where() + ": " + what + ": " + dcmtk_text(c));
    };
    if (!n.ca.empty())
        check(tls->addTrustedCertificateFile(n.ca.c_str(), DCF_Filetype_PEM),
              "cannot read the trusted certificate file " + n.ca);
    else
        check(tls->addTrustedCertificateDir("/etc/ssl/certs", DCF_Filetype_PEM),
              "cannot read the system's certificates in /etc/ssl/certs");
    if (!n.cert.empty()) {
        tls->setPrivateKeyPasswd("");
        check(tls->setPrivateKeyFile(n.key.c_str(), DCF_Filetype_PEM),
              "cannot read our private key " + n.key);
        check(tls->setCertificateFile(n.cert.c_str(), DCF_Filetype_PEM),
              "cannot read our certificate " + n.cert);
        if (!tls->checkPrivateKeyMatchesCertificate())
            fail(TSC_EINVAL, "TLS for " + n.where() + ": our private key " + n.key +
                                 " does not belong to the certificate " + n.cert);
    }
    check(tls->setTLSProfile(TSP_Profile_BCP195), "the BCP 195 profile");
    check(tls->activateCipherSuites(), "the BCP 195 cipher suites");
    tls->setCertificateVerification(DCV_requireCertificate);
}

void TlsLayerDelete::operator()(DcmTLSTransportLayer *tls) const
{
    delete tls;
    OPENSSL_thread_stop();
}

void setup_tls(Scu &scu, const Node &n, TlsLayer &tls)
{
    tls.reset(new DcmTLSTransportLayer(NET_REQUESTOR, nullptr, OFTrue));
    tls_configure(tls.get(), n);
    OFCondition c = scu.useSecureConnection(tls.get());
    if (c.bad())
        fail(TSC_EINVAL, "TLS for " + n.where() + ": cannot use the TLS layer: " + dcmtk_text(c));
}

void connect(Scu &scu, const Node &n, TlsLayer &tls)
{
    OFCondition c = scu.initNetwork();
    if (c.bad()) fail(TSC_EIO, "could not set up DICOM networking: " + dcmtk_text(c));
    if (n.tls) setup_tls(scu, n, tls);
    c = scu.negotiateAssociation();
    if (c.bad()) fail_connect(n, c);
}

T_ASC_PresentationContextID accepted(DcmSCU &scu, const Node &n, const char *sop_class,
                                     const char *what)
{
    T_ASC_PresentationContextID id = scu.findAnyPresentationContextID(sop_class, "");
    if (id == 0) fail(TSC_EUNSUPPORTED, n.where() + " does not offer " + what);
    return id;
}

/* A failure of a DIMSE exchange on an open association, in words. */
[[noreturn]] void fail_dimse(const Node &n, const char *what, const OFCondition &c)
{
    std::string t = dcmtk_text(c);
    if (c == DIMSE_NODATAAVAILABLE || has(t, "timeout") || has(t, "Timeout"))
        fail(TSC_EIO, n.where() + " sent no reply to the " + what + " within " +
                          std::to_string(n.timeout) + " s");
    if (c == DUL_PEERABORTEDASSOCIATION || c == DUL_PEERREQUESTEDRELEASE)
        fail(TSC_EIO, n.where() + " ended the association during the " + what);
    fail(TSC_EIO, n.where() + ": " + what + " failed: " + t);
}

/* ---- C-FIND ---- */

/* A search key: "" stays open, a value without wildcards becomes a prefix. */
std::string key(const char *v, bool prefix, const char *name)
{
    std::string s = v ? v : "";
    if (s.find('\\') != std::string::npos)
        fail(TSC_EINVAL, std::string("the search for ") + name + " may not contain a backslash");
    if (s.size() > 64) fail(TSC_EINVAL, std::string("the search for ") + name + " is too long");
    if (!s.empty() && prefix && s.find_first_of("*?") == std::string::npos) s += "*";
    return s;
}

std::string date_key(const char *v)
{
    std::string s = v ? v : "";
    size_t digits = 0;
    for (char ch : s) {
        if (ch >= '0' && ch <= '9') digits++;
        else if (ch != '-') digits = 100;
    }
    bool ok = s.empty() || (digits == 8 && s.size() <= 9) || (digits == 16 && s.size() == 17);
    if (!ok)
        fail(TSC_EINVAL, "study date '" + s +
                             "' is not YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end open)");
    return s;
}

void copy(char *dst, size_t n, DcmItem *d, const DcmTagKey &tag)
{
    OFString v;
    dst[0] = '\0';
    if (d->findAndGetOFStringArray(tag, v).good()) snprintf(dst, n, "%s", v.c_str());
}

int count(DcmItem *d, const DcmTagKey &tag)
{
    Sint32 v = -1;
    OFString s;
    if (d->findAndGetOFString(tag, s).bad() || s.empty()) return -1;
    if (d->findAndGetSint32(tag, v).bad()) return -1;
    return v;
}

class FindScu : public Scu
{
  public:
    tsc_pacs_study_list *list = nullptr;
    size_t offset = 0, limit = 100, seen = 0;
    bool cancel_sent = false;

    OFCondition handleFINDResponse(const T_ASC_PresentationContextID pres, QRResponse *rsp,
                                   OFBool &wait) override
    {
        OFCondition c = DcmSCU::handleFINDResponse(pres, rsp, wait);
        if (!rsp || !rsp->m_dataset || !DICOM_PENDING_STATUS(rsp->m_status) || cancel_sent)
            return c;
        if (seen++ < offset) return c;
        if (list->studies.size() == limit) {
            /* One more than asked: there are more; stop the node's search. */
            list->has_more = true;
            cancel_sent = true;
            sendCANCELRequest(pres);
            return c;
        }
        tsc_pacs_study s;
        memset(&s, 0, sizeof s);
        s.struct_size = sizeof s;
        DcmItem *d = rsp->m_dataset;
        copy(s.study_uid, sizeof s.study_uid, d, DCM_StudyInstanceUID);
        copy(s.patient_name, sizeof s.patient_name, d, DCM_PatientName);
        copy(s.patient_id, sizeof s.patient_id, d, DCM_PatientID);
        copy(s.study_date, sizeof s.study_date, d, DCM_StudyDate);
        copy(s.study_time, sizeof s.study_time, d, DCM_StudyTime);
        copy(s.accession, sizeof s.accession, d, DCM_AccessionNumber);
        copy(s.modalities, sizeof s.modalities, d, DCM_ModalitiesInStudy);
        copy(s.description, sizeof s.description, d, DCM_StudyDescription);
        s.n_series = count(d, DCM_NumberOfStudyRelatedSeries);
        s.n_instances = count(d, DCM_NumberOfStudyRelatedInstances);
        if (s.study_uid[0]) list->studies.push_back(s); /* without it, nothing to retrieve */
        return c;
    }
};

tsc_pacs_study_list *find_studies(const tsc_pacs_node *node, const tsc_pacs_query *given)
{
    Node n = check_node(node);
    tsc_pacs_query query; /* NULL or a zeroed struct: every key open */
    memset(&query, 0, sizeof query);
    TSC__PARAMS_COPY(&query, given);
    const tsc_pacs_query *q = &query;
    DcmDataset keys;
    keys.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
    keys.putAndInsertString(DCM_PatientName, key(q->patient_name, true, "patient name").c_str());
    keys.putAndInsertString(DCM_PatientID, key(q->patient_id, true, "patient ID").c_str());
    keys.putAndInsertString(DCM_StudyDate, date_key(q->study_date).c_str());
    keys.putAndInsertString(DCM_ModalitiesInStudy, key(q->modality, false, "modality").c_str());
    keys.putAndInsertString(DCM_AccessionNumber, key(q->accession, true, "accession").c_str());
    for (const DcmTagKey &t :
         {DCM_StudyInstanceUID, DCM_StudyTime, DCM_StudyDescription, DCM_PatientBirthDate,
          DCM_NumberOfStudyRelatedSeries, DCM_NumberOfStudyRelatedInstances})
        keys.insertEmptyElement(t);

    SigpipeGuard guard;
    TlsLayer tls; /* outlives scu */
    FindScu scu;
    std::unique_ptr<tsc_pacs_study_list> list(new tsc_pacs_study_list);
    scu.list = list.get();
    scu.offset = q->offset;
    scu.limit = q->limit ? q->limit : 100;
    configure(scu, n);
    scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, plain_syntaxes());
    connect(scu, n, tls);
    Association a(scu);
    T_ASC_PresentationContextID pres =
        accepted(scu, n, UID_FINDStudyRootQueryRetrieveInformationModel, "Study Root C-FIND");
    OFCondition c = scu.sendFINDRequest(pres, &keys, nullptr);
    if (c.bad()) fail_dimse(n, "study search (C-FIND)", c);
    a.release = true;
    return list.release();
}

/* ---- C-GET ---- */

const OFList<OFString> &image_syntaxes(bool lossless_first)
{
    /* Uncompressed, then lossless compressed, then lossy and deflated; or,
     * for our Store SCP, the lossless compressed first (a node then sends
     * what it holds, unconverted), lossy ones still last (never chosen when
     * the node offers more). */
    static const char *const lossless[] = {
        UID_JPEGLSLosslessTransferSyntax, UID_JPEGProcess14SV1TransferSyntax,
        UID_JPEG2000LosslessOnlyTransferSyntax, UID_RLELosslessTransferSyntax};
    static const char *const rest[] = {UID_JPEGProcess1TransferSyntax, UID_JPEG2000TransferSyntax,
                                       UID_DeflatedExplicitVRLittleEndianTransferSyntax};
    auto make = [](bool first) {
        OFList<OFString> l;
        if (!first) l = plain_syntaxes();
        for (const char *t : lossless) l.push_back(t);
        if (first)
            for (const OFString &t : plain_syntaxes()) l.push_back(t);
        for (const char *t : rest) l.push_back(t);
        return l;
    };
    static const OFList<OFString> plain_first = make(false), compressed_first = make(true);
    return lossless_first ? compressed_first : plain_first;
}

/* A SOP Instance UID safe as a file name: digits and dots, no empty part. */
bool safe_uid(const std::string &u)
{
    if (u.empty() || u.size() > 64 || u.front() == '.' || u.back() == '.') return false;
    for (size_t i = 0; i < u.size(); i++) {
        if (!(u[i] == '.' || (u[i] >= '0' && u[i] <= '9'))) return false;
        if (u[i] == '.' && u[i + 1] == '.') return false;
    }
    return true;
}

/* The objects arrive on our own association as C-STORE requests: each goes
 * through the one Receiver that the C-MOVE path shares. */
class GetScu : public Scu
{
  public:
    Receiver *rx = nullptr;

    OFCondition handleSTORERequest(const T_ASC_PresentationContextID, DcmDataset *incoming,
                                   OFBool &more, Uint16 &status) override
    {
        std::unique_ptr<DcmDataset> ds(incoming); /* ours to delete */
        bool stop = false;
        status = rx->take(ds.get(), &stop);
        if (stop) more = OFFalse;
        return EC_Normal;
    }

    OFCondition handleCGETResponse(const T_ASC_PresentationContextID pres, RetrieveResponse *rsp,
                                   OFBool &more) override
    {
        rx->saw(rsp);
        return DcmSCU::handleCGETResponse(pres, rsp, more);
    }
};

tsc_status request_study(Scu &scu, const Node &n, Receiver &rx, bool move, TlsLayer &tls,
                         const std::function<void()> &replied, tsc_error *err)
{
    const char *model = move ? UID_MOVEStudyRootQueryRetrieveInformationModel
                             : UID_GETStudyRootQueryRetrieveInformationModel;
    configure(scu, n);
    scu.addPresentationContext(model, plain_syntaxes());
    connect(scu, n, tls);
    Association a(scu);
    T_ASC_PresentationContextID pres =
        accepted(scu, n, model, move ? "Study Root C-MOVE" : "Study Root C-GET");
    DcmDataset keys;
    keys.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
    keys.putAndInsertString(DCM_StudyInstanceUID, rx.study.c_str());
    OFList<RetrieveResponse *> rsps;
    OFCondition c = move ? scu.sendMOVERequest(pres, n.calling.c_str(), &keys, &rsps)
                         : scu.sendCGETRequest(pres, &keys, &rsps);
    Uint16 final_status = rsps.empty() ? 0 : rsps.back()->m_status;
    size_t failed_subops = rsps.empty() ? 0 : rsps.back()->m_numberOfFailedSubops;
    for (RetrieveResponse *r : rsps) delete r;
    if (replied) replied();
    return retrieve_outcome(n, rx, move, c, final_status, failed_subops, a, err);
}

tsc_status get_study(const Node &n, Receiver &rx, tsc_error *err)
{
    SigpipeGuard guard;
    TlsLayer tls; /* outlives scu */
    GetScu scu;
    scu.rx = &rx;
    for (const char *cls : k_storage_classes)
        scu.addPresentationContext(cls, image_syntaxes(), ASC_SC_ROLE_SCP);
    return request_study(scu, n, rx, false, tls, nullptr, err);
}

tsc_status retrieve(const tsc_pacs_node *node, const char *study_uid, const char *dest_dir,
                    const tsc_pacs_retrieve_params *given, tsc_pacs_progress_fn progress,
                    void *user, size_t *n_received, tsc_error *err)
{
    Node n = check_node(node);
    /* Only the bytes the host's struct has (docs/PLUGIN_ABI.md rule 4). */
    tsc_pacs_retrieve_params p;
    memset(&p, 0, sizeof p);
    TSC__PARAMS_COPY(&p, given);
    if (p.method != TSC_PACS_RETRIEVE_GET && p.method != TSC_PACS_RETRIEVE_MOVE)
        fail(TSC_EINVAL, "retrieve method " + std::to_string(p.method) +
                             " is not known: 0 (C-GET) or 1 (C-MOVE)");
    if (!study_uid || !safe_uid(study_uid))
        fail(TSC_EINVAL,
             "'" + std::string(study_uid ? study_uid : "") + "' is not a Study Instance UID");
    if (!dest_dir || !dest_dir[0]) fail(TSC_EINVAL, "no folder to retrieve into");
    tsc_error e;
    tsc_error_clear(&e);
    if (tsc__mkdirs(dest_dir, &e) != TSC_OK) fail(e.status, e.message);

    Receiver rx(study_uid, dest_dir, p.max_instances ? p.max_instances : 20000, progress, user);
    struct Count {
        Receiver &rx;
        size_t *out;
        ~Count()
        {
            if (out) *out = rx.received;
        }
    } count{rx, n_received}; /* also when a failure throws */
    if (p.method == TSC_PACS_RETRIEVE_MOVE) return move_study(n, p, rx, err);
    return get_study(n, rx, err);
}

/* ---- C-STORE ---- */

struct Outgoing {
    std::string path, sop_class, xfer;
};

class StoreScu : public Scu
{
  public:
    /* Sends one file in the transfer syntax the node accepted on `pres`,
     * converting it when that differs from the file's (decompressing JPEG,
     * JPEG-LS or RLE for a node that takes only uncompressed data); *why is
     * set when the file cannot be read or converted. */
    OFCondition send(T_ASC_PresentationContextID pres, const Outgoing &f, Uint16 *status,
                     std::string *why)
    {
        OFString abstract, accepted;
        findPresentationContext(pres, abstract, accepted);
        DcmFileFormat ff;
        OFCondition c = ff.loadFile(f.path.c_str());
        if (c.bad()) {
            *why = std::string("could not be read: ") + c.text();
            return c;
        }
        DcmXfer want(accepted.c_str());
        DcmDataset *ds = ff.getDataset();
        if (accepted != f.xfer.c_str()) {
            c = ds->chooseRepresentation(want.getXfer(), nullptr);
            if (c.bad() || !ds->canWriteXfer(want.getXfer())) {
                *why = std::string("the node takes it only as ") + want.getXferName() +
                       ", and it cannot be converted from " + DcmXfer(f.xfer.c_str()).getXferName();
                return EC_IllegalCall;
            }
        }
        return sendSTORERequest(pres, "", ds, *status);
    }
};

tsc_status store(const tsc_pacs_node *node, const char *const *paths, size_t count_files,
                 tsc_pacs_progress_fn progress, void *user, size_t *n_stored, tsc_error *err)
{
    Node n = check_node(node);
    if (count_files && !paths) fail(TSC_EINVAL, "no files given to send");
    std::vector<Outgoing> files;
    for (size_t i = 0; i < count_files; i++) {
        DcmFileFormat ff;
        OFCondition c = ff.loadFile(paths[i], EXS_Unknown, EGL_noChange, 0, ERM_fileOnly);
        OFString cls, ts;
        if (c.good()) {
            ff.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, cls);
            ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts);
        }
        if (c.bad() || cls.empty() || ts.empty())
            fail(TSC_EFORMAT, std::string(paths[i]) + " is not a DICOM file that can be sent" +
                                  (c.bad() ? std::string(": ") + c.text() : std::string("")));
        files.push_back({paths[i], cls.c_str(), ts.c_str()});
    }
    if (n_stored) *n_stored = 0;
    if (files.empty()) return TSC_OK;

    SigpipeGuard guard;
    TlsLayer tls; /* outlives scu */
    StoreScu scu;
    configure(scu, n);
    std::vector<std::string> classes;
    for (const Outgoing &f : files) {
        if (std::find(classes.begin(), classes.end(), f.sop_class) != classes.end()) continue;
        classes.push_back(f.sop_class);
        OFList<OFString> ts;
        for (const Outgoing &g : files)
            if (g.sop_class == f.sop_class &&
                std::find(ts.begin(), ts.end(), OFString(g.xfer.c_str())) == ts.end())
                ts.push_back(g.xfer.c_str());
        for (const OFString &t : plain_syntaxes())
            if (std::find(ts.begin(), ts.end(), t) == ts.end()) ts.push_back(t);
        if (classes.size() > 120)
            fail(TSC_ELIMIT, "the files hold more than 120 kinds of object; send them in parts");
        scu.addPresentationContext(f.sop_class.c_str(), ts);
    }
    connect(scu, n, tls);
    Association a(scu);
    size_t ok = 0, failed = 0;
    std::string first;
    for (size_t i = 0; i < files.size(); i++) {
        const Outgoing &f = files[i];
        T_ASC_PresentationContextID pres =
            scu.findAnyPresentationContextID(f.sop_class.c_str(), f.xfer.c_str());
        if (pres == 0) {
            if (!failed++) first = f.path + ": " + n.where() + " does not take this kind of object";
        } else {
            Uint16 status = 0;
            std::string why;
            OFCondition c = scu.send(pres, f, &status, &why);
            if (!why.empty()) {
                if (!failed++) first = f.path + ": " + why;
            } else if (c.bad()) {
                if (!scu.isConnected()) fail_dimse(n, "sending (C-STORE)", c);
                if (!failed++) first = f.path + ": " + dcmtk_text(c);
            } else if (status == STATUS_Success || DICOM_WARNING_STATUS(status)) {
                ok++;
            } else if (!failed++) {
                char hex[16];
                snprintf(hex, sizeof hex, "0x%04x", status);
                first = f.path + ": refused with status " + hex + " (" +
                        DU_cstoreStatusString(status) + ")";
            }
        }
        if (n_stored) *n_stored = ok;
        if (progress && progress(user, i + 1, files.size())) {
            a.release = true;
            return tsc_error_set(err, TSC_ECANCELLED, "sending cancelled after %zu of %zu objects",
                                 i + 1, files.size());
        }
    }
    a.release = true;
    if (failed)
        return tsc_error_set(err, TSC_EIO, "%s did not take %zu of %zu objects; the first: %s",
                             n.where().c_str(), failed, files.size(), first.c_str());
    return TSC_OK;
}

} // namespace tsc__net

using namespace tsc__net;

extern "C" size_t tsc_pacs_study_list_count(const tsc_pacs_study_list *list)
{
    return list ? list->studies.size() : 0;
}

extern "C" const tsc_pacs_study *tsc_pacs_study_list_get(const tsc_pacs_study_list *list, size_t i)
{
    TSC_ASSERT(list && i < list->studies.size());
    return &list->studies[i];
}

extern "C" int tsc_pacs_study_list_has_more(const tsc_pacs_study_list *list)
{
    return list && list->has_more;
}

extern "C" void tsc_pacs_study_list_free(tsc_pacs_study_list *list)
{
    delete list;
}

extern "C" tsc_status tsc_pacs_echo(const tsc_pacs_node *node, tsc_error *err)
{
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    Node n = check_node(node);
    SigpipeGuard guard;
    TlsLayer tls; /* outlives scu */
    Scu scu;
    configure(scu, n);
    scu.addPresentationContext(UID_VerificationSOPClass, plain_syntaxes());
    connect(scu, n, tls);
    Association a(scu);
    OFCondition c = scu.sendECHORequest(accepted(scu, n, UID_VerificationSOPClass, "C-ECHO"));
    if (c.bad()) fail_dimse(n, "echo (C-ECHO)", c);
    a.release = true;
    return TSC_OK;
    TSC__API_IMPL_END(err, "PACS echo")
}

extern "C" tsc_status tsc_pacs_find_studies(const tsc_pacs_node *node, const tsc_pacs_query *query,
                                            tsc_pacs_study_list **out, tsc_error *err)
{
    TSC_ASSERT(out);
    *out = nullptr;
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    *out = find_studies(node, query);
    return TSC_OK;
    TSC__API_IMPL_END(err, "PACS study search")
}

extern "C" tsc_status tsc_pacs_retrieve_study(const tsc_pacs_node *node, const char *study_uid,
                                              const char *dest_dir, size_t max_instances,
                                              tsc_pacs_progress_fn progress, void *user,
                                              size_t *n_received, tsc_error *err)
{
    if (n_received) *n_received = 0;
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    tsc_pacs_retrieve_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.method = TSC_PACS_RETRIEVE_GET;
    p.max_instances = max_instances;
    return retrieve(node, study_uid, dest_dir, &p, progress, user, n_received, err);
    TSC__API_IMPL_END(err, "PACS retrieve")
}

extern "C" tsc_status tsc_pacs_retrieve(const tsc_pacs_node *node, const char *study_uid,
                                        const char *dest_dir,
                                        const tsc_pacs_retrieve_params *params,
                                        tsc_pacs_progress_fn progress, void *user,
                                        size_t *n_received, tsc_error *err)
{
    if (n_received) *n_received = 0;
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    return retrieve(node, study_uid, dest_dir, params, progress, user, n_received, err);
    TSC__API_IMPL_END(err, "PACS retrieve")
}

extern "C" tsc_status tsc_pacs_store_files(const tsc_pacs_node *node, const char *const *paths,
                                           size_t n, tsc_pacs_progress_fn progress, void *user,
                                           size_t *n_stored, tsc_error *err)
{
    if (n_stored) *n_stored = 0;
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    return store(node, paths, n, progress, user, n_stored, err);
    TSC__API_IMPL_END(err, "PACS send")
}

// SPDX-License-Identifier: BSD-3-Clause
/* Retrieve by C-MOVE: our own Store SCP listens while the retrieve runs,
 * the node is asked to move the study to our AE title, and what arrives
 * goes through the same Receiver as C-GET's objects.
 *
 * The listening socket is ours (DCMTK 3.6.7 binds only to every interface):
 * bound to the configured address, polled by the SCP's thread, and each
 * connection accepted is handed to DcmSCP through dcmExternalSocketHandle,
 * DCMTK's global for a socket accepted elsewhere (inetd), under a mutex of
 * its own.  The peer's address is checked before any DICOM is read, its AE
 * titles in the association request; only storage SOP classes are offered,
 * so any other request is refused in negotiation.  For a TLS node our Store
 * SCP speaks TLS too: it presents our certificate and requires the node's,
 * verified against the node's trusted CA file. */
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/scp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "firewall_private.h"
#include "pacs_private.h"
#include "pacs_scp_private.h"
#include "read_private.h"
#include "render_private.h"
#include "struct_size_private.h"

namespace tsc__net
{
namespace
{

std::vector<std::string> split(const char *list)
{
    std::vector<std::string> out;
    std::string s = list ? list : "", part;
    for (size_t i = 0; i <= s.size(); i++) {
        if (i == s.size() || s[i] == '\\') {
            size_t a = part.find_first_not_of(' '), b = part.find_last_not_of(' ');
            if (a != std::string::npos) out.push_back(part.substr(a, b - a + 1));
            part.clear();
        } else {
            part += s[i];
        }
    }
    return out;
}

std::string address_text(const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(sa)->sin_addr, buf, sizeof buf);
    } else if (sa->sa_family == AF_INET6) {
        const in6_addr *a = &reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, &a->s6_addr[12], buf, sizeof buf);
        else inet_ntop(AF_INET6, a, buf, sizeof buf);
    }
    return buf;
}

/* Every address `host` has; a name that does not resolve is refused. */
void add_addresses(std::set<std::string> &to, const std::string &host)
{
    struct addrinfo hints, *res = nullptr;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (r != 0)
        fail(TSC_EINVAL, "the host '" + host + "' allowed to send to our Store SCP is unknown (" +
                             gai_strerror(r) + ")");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) to.insert(address_text(ai->ai_addr));
    freeaddrinfo(res);
}

/* dcmExternalSocketHandle is one value for the process. */
std::mutex &external_socket_mutex()
{
    static std::mutex m;
    return m;
}

/* DcmSCP (3.6.7) asks for plain connections (ASC_receiveAssociation with
 * useSecureLayer false); on our Store SCP's network every connection is a
 * TLS one. */
class AcceptorTlsLayer : public DcmTLSTransportLayer
{
  public:
    AcceptorTlsLayer() : DcmTLSTransportLayer(NET_ACCEPTOR, nullptr, OFTrue)
    {
    }
    DcmTransportConnection *createConnection(DcmNativeSocketType fd, OFBool) override
    {
        return DcmTLSTransportLayer::createConnection(fd, OFTrue);
    }
};

class StoreScp : public DcmSCP
{
  public:
    StoreScp(Receiver &r, const Node &node, std::set<std::string> aes, std::set<std::string> hosts)
        : rx(r), n(node), allowed_aes(std::move(aes)), allowed_hosts(std::move(hosts))
    {
        if (n.tls) {
            tls.reset(new AcceptorTlsLayer());
            tls_configure(tls.get(), n);
        }
        DcmSCPConfig &cfg = getConfig();
        cfg.setAETitle(n.calling.c_str());
        cfg.setRespondWithCalledAETitle(OFFalse);
        cfg.setHostLookupEnabled(OFFalse);
        cfg.setConnectionBlockingMode(DUL_NOBLOCK);
        cfg.setConnectionTimeout(static_cast<Uint32>(n.timeout));
        cfg.setACSETimeout(static_cast<Uint32>(n.timeout));
        cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        cfg.setDIMSETimeout(static_cast<Uint32>(n.timeout));
        cfg.setVerbosePCMode(OFFalse);
        for (const char *cls : k_storage_classes)
            cfg.addPresentationContext(cls, image_syntaxes(true));
    }

    ~StoreScp() override
    {
        stop();
    }

    /* Listens on address:port (port 0: any free one). */
    void start(const std::string &address, int want_port)
    {
        struct addrinfo hints, *res = nullptr;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        std::string p = std::to_string(want_port);
        int r = getaddrinfo(address.c_str(), p.c_str(), &hints, &res);
        if (r != 0)
            fail(TSC_EINVAL, "our Store SCP cannot listen on '" + address +
                                 "': not an address of this computer (" + gai_strerror(r) + ")");
        int e = 0;
        for (struct addrinfo *ai = res; ai && listen_fd < 0; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) {
                e = errno;
                continue;
            }
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 8) == 0) {
                listen_fd = fd;
            } else {
                e = errno;
                close(fd);
            }
        }
        freeaddrinfo(res);
        std::string where = address + ":" + p;
        if (listen_fd < 0 && e == EADDRINUSE)
            fail(TSC_EIO, "port " + p + " on " + address +
                              " is already in use by another program: choose another port for "
                              "our Store SCP (Preferences)");
        if (listen_fd < 0 && (e == EACCES || e == EPERM))
            fail(TSC_EIO, "our Store SCP may not listen on " + where +
                              ": ports below 1024 need privileges; choose a port from 1024 up");
        if (listen_fd < 0 && e == EADDRNOTAVAIL)
            fail(TSC_EINVAL, "our Store SCP cannot listen on " + address +
                                 ": it is not an address of this computer");
        if (listen_fd < 0)
            fail(TSC_EIO, "our Store SCP cannot listen on " + where + ": " + strerror(e));
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(listen_fd, reinterpret_cast<sockaddr *>(&ss), &len) == 0)
            port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                                                  : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
        thread = std::thread([this] { serve(); });
    }

    /* Stops listening: the association under way gets a second to end,
     * then its socket is shut down; returns once the thread has ended. */
    void stop()
    {
        if (listen_fd < 0) return;
        stopping = true;
        for (int i = 0; i < 20 && current_fd.load() >= 0; i++) usleep(50000);
        int fd = current_fd.load();
        if (fd >= 0) shutdown(fd, SHUT_RDWR);
        if (thread.joinable()) thread.join();
        close(listen_fd);
        listen_fd = -1;
    }

    int port = 0;

  protected:
    OFBool checkCalledAETitleAccepted(const OFString &ae) override
    {
        return trimmed(ae) == n.calling;
    }
    OFBool checkCallingAETitleAccepted(const OFString &ae) override
    {
        return allowed_aes.count(trimmed(ae)) > 0;
    }
    OFBool checkCallingHostAccepted(const OFString &) override
    {
        return peer_allowed;
    }
    void notifyAssociationRequest(const T_ASC_Parameters &, DcmSCPActionType &) override
    {
        /* Read: the next association must not find it. */
        dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
    }

    /* C-STORE only; anything else ends the association (only storage SOP
     * classes were accepted, so nothing else can come). */
    OFCondition handleIncomingCommand(T_DIMSE_Message *msg,
                                      const DcmPresentationContextInfo &info) override
    {
        if (msg->CommandField != DIMSE_C_STORE_RQ) return DcmSCP::handleIncomingCommand(msg, info);
        T_DIMSE_C_StoreRQ &rq = msg->msg.CStoreRQ;
        DcmDataset *received = nullptr;
        /* A data set DCMTK cannot parse (truncated, absurd lengths) fails
         * here, and the association is aborted. */
        OFCondition c = receiveSTORERequest(rq, info.presentationContextID, received);
        std::unique_ptr<DcmDataset> ds(received);
        if (c.bad()) return c;
        bool stop_taking = false;
        Uint16 status = rx.take(ds.get(), &stop_taking);
        c = sendSTOREResponse(info.presentationContextID, rq, status);
        if (c.good() && (stop_taking || stopping)) return NET_EC_StopAfterAssociation;
        return c;
    }

  private:
    Receiver &rx;
    const Node n;
    const std::set<std::string> allowed_aes, allowed_hosts;
    int listen_fd = -1;
    std::atomic<int> current_fd{-1};
    std::atomic<bool> stopping{false};
    bool peer_allowed = false;
    std::thread thread;
    std::unique_ptr<AcceptorTlsLayer> tls; /* for a TLS node; outlives every network */

    static std::string trimmed(const OFString &s)
    {
        std::string t = s.c_str();
        size_t a = t.find_first_not_of(' '), b = t.find_last_not_of(' ');
        return a == std::string::npos ? std::string() : t.substr(a, b - a + 1);
    }
    void serve()
    {
        SigpipeGuard guard;
        while (!stopping) {
            struct pollfd p = {listen_fd, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            struct sockaddr_storage peer;
            socklen_t len = sizeof peer;
            int fd = accept4(listen_fd, reinterpret_cast<sockaddr *>(&peer), &len, SOCK_CLOEXEC);
            if (fd < 0) continue;
            peer_allowed = allowed_hosts.count(address_text(reinterpret_cast<sockaddr *>(&peer)));
            std::lock_guard<std::mutex> lock(external_socket_mutex());
            current_fd = fd;
            dcmExternalSocketHandle.set(fd);
            T_ASC_Network *net = nullptr;
            OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, 0, n.timeout, &net);
            if (c.good() && tls) {
                c = ASC_setTransportLayer(net, tls.get(), 0);
                if (c.bad()) ASC_dropNetwork(&net);
            }
            if (c.good()) {
                /* DCMTK closes the socket with the association. */
                waitForAssociationRQ(net);
                ASC_dropNetwork(&net);
            } else {
                close(fd);
            }
            dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
            current_fd = -1;
        }
    }
};

class MoveScu : public Scu
{
  public:
    Receiver *rx = nullptr;
    bool cancel_sent = false;

    OFCondition handleMOVEResponse(const T_ASC_PresentationContextID pres, RetrieveResponse *rsp,
                                   OFBool &more) override
    {
        rx->saw(rsp);
        OFCondition c = DcmSCU::handleMOVEResponse(pres, rsp, more);
        /* Cancelled or over the limit on the SCP's side: the node stops
         * sending and ends with its final response. */
        if (more && !cancel_sent && rx->stopping()) {
            cancel_sent = true;
            sendCANCELRequest(pres);
        }
        return c;
    }
};

/* Our Store SCP for a retrieve of `n` with `p`, listening. */
std::unique_ptr<StoreScp> open_scp(const Node &n, const tsc_pacs_retrieve_params &p, Receiver &rx)
{
    /* DCMTK quiet (its messages may quote patient data), its decoders
     * registered. */
    tsc_dicom_internal::register_codecs();
    if (n.tls && n.cert.empty())
        fail(TSC_EINVAL, "retrieve by C-MOVE over TLS from " + n.where() +
                             " needs our certificate and private key: our Store SCP presents "
                             "them to the node (the node's TLS settings)");
    if (p.listen_port < 0 || p.listen_port > 65535)
        fail(TSC_EINVAL,
             "our Store SCP's port " + std::to_string(p.listen_port) + " is not in 1..65535");
    std::string address = p.listen_address && p.listen_address[0] ? p.listen_address : "127.0.0.1";
    std::set<std::string> aes, hosts;
    for (const std::string &ae : split(p.allowed_aes)) {
        if (!valid_ae(ae))
            fail(TSC_EINVAL, "allowed AE title '" + ae +
                                 "' is not valid: 1 to 16 printable characters, no backslash");
        aes.insert(ae);
    }
    if (aes.empty()) aes.insert(n.called);
    std::vector<std::string> host_list = split(p.allowed_hosts);
    if (host_list.empty()) host_list.push_back(n.host);
    for (const std::string &h : host_list) add_addresses(hosts, h);
    std::unique_ptr<StoreScp> scp(new StoreScp(rx, n, aes, hosts));
    scp->start(address, p.listen_port);
    return scp;
}

} // namespace

tsc_status move_study(const Node &n, const tsc_pacs_retrieve_params &p, Receiver &rx,
                      tsc_error *err)
{
    SigpipeGuard guard;
    std::unique_ptr<StoreScp> scp = open_scp(n, p, rx);

    TlsLayer tls; /* the C-MOVE association's, for a TLS node; outlives scu */
    MoveScu scu;
    scu.rx = &rx;
    /* Every object the node counted as sent has been answered by us once
     * its last reply is in: stop listening before the words. */
    return request_study(
        scu, n, rx, true, tls, [&] { scp->stop(); }, err);
}

} // namespace tsc__net

struct tsc__pacs_scp {
    tsc__net::Node node;
    tsc__net::Receiver rx;
    std::unique_ptr<tsc__net::StoreScp> scp;
};

extern "C" tsc_status tsc__pacs_scp_open(const tsc_pacs_node *node,
                                         const tsc_pacs_retrieve_params *params,
                                         const char *study_uid, const char *dir,
                                         tsc__pacs_scp **out, int *port, tsc_error *err)
{
    *out = nullptr;
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    tsc_pacs_retrieve_params p;
    memset(&p, 0, sizeof p);
    TSC__PARAMS_COPY(&p, params);
    tsc_error e;
    tsc_error_clear(&e);
    if (tsc__mkdirs(dir, &e) != TSC_OK) tsc__net::fail(e.status, e.message);
    std::unique_ptr<tsc__pacs_scp> s(new tsc__pacs_scp{
        tsc__net::check_node(node), {study_uid, dir, 20000, nullptr, nullptr}, {}});
    s->scp = tsc__net::open_scp(s->node, p, s->rx);
    *port = s->scp->port;
    *out = s.release();
    return TSC_OK;
    TSC__API_IMPL_END(err, "our Store SCP")
}

extern "C" size_t tsc__pacs_scp_close(tsc__pacs_scp *s)
{
    if (!s) return 0;
    s->scp->stop();
    size_t n = s->rx.received;
    delete s;
    return n;
}

// SPDX-License-Identifier: BSD-3-Clause
/* raw_store.h over DCMTK's upper layer: the command set encoded here, the
 * data set's bytes written as PDVs unparsed. */
#include "raw_store.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/dul.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace
{

/* The C-STORE-RQ command set, implicit VR little endian as DIMSE wants. */
std::vector<unsigned char> store_command(const char *sop_class, const char *sop_uid)
{
    DcmDataset cmd;
    cmd.putAndInsertString(DCM_AffectedSOPClassUID, sop_class);
    cmd.putAndInsertUint16(DCM_CommandField, 0x0001);
    cmd.putAndInsertUint16(DCM_MessageID, 1);
    cmd.putAndInsertUint16(DCM_Priority, 0);
    cmd.putAndInsertUint16(DCM_CommandDataSetType, 0x0000);
    cmd.putAndInsertString(DCM_AffectedSOPInstanceUID, sop_uid);
    cmd.putAndInsertUint32(DCM_CommandGroupLength, 0);
    std::vector<unsigned char> buf(4096);
    DcmOutputBufferStream out(buf.data(), buf.size());
    cmd.transferInit();
    cmd.write(out, EXS_LittleEndianImplicit, EET_ExplicitLength, nullptr, EGL_recalcGL);
    cmd.transferEnd();
    void *p = nullptr;
    offile_off_t len = 0;
    out.flushBuffer(p, len);
    buf.resize(static_cast<size_t>(len));
    return buf;
}

OFCondition write_pdv(T_ASC_Association *assoc, T_ASC_PresentationContextID pres, DUL_DATAPDV type,
                      const unsigned char *data, size_t n, bool last)
{
    DUL_PDV pdv;
    memset(&pdv, 0, sizeof pdv);
    pdv.fragmentLength = static_cast<unsigned long>(n);
    pdv.presentationContextID = pres;
    pdv.pdvType = type;
    pdv.lastPDV = last ? OFTrue : OFFalse;
    pdv.data = const_cast<unsigned char *>(data);
    DUL_PDVLIST list;
    memset(&list, 0, sizeof list);
    list.count = 1;
    list.pdv = &pdv;
    return DUL_WritePDVs(&assoc->DULassociation, &list);
}

} // namespace

extern "C" int raw_store(const char *host, int port, const char *calling, const char *called,
                         const char *sop_class, const char *sop_uid, const void *bytes, size_t n,
                         unsigned *status)
{
    T_ASC_Network *net = nullptr;
    if (ASC_initializeNetwork(NET_REQUESTOR, 0, 10, &net).bad()) return -1;
    T_ASC_Parameters *params = nullptr;
    ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
    ASC_setAPTitles(params, calling, called, nullptr);
    char peer[300];
    snprintf(peer, sizeof peer, "%s:%d", host, port);
    ASC_setPresentationAddresses(params, "localhost", peer);
    const char *ts[] = {UID_LittleEndianExplicitTransferSyntax};
    ASC_addPresentationContext(params, 1, sop_class, ts, 1);
    T_ASC_Association *assoc = nullptr;
    int result = -1;
    bool associated = ASC_requestAssociation(net, params, &assoc).good();
    if (associated && ASC_countAcceptedPresentationContexts(params) != 1) {
        ASC_abortAssociation(assoc);
    } else if (associated) {
        T_ASC_PresentationContextID pres = ASC_findAcceptedPresentationContextID(assoc, sop_class);
        std::vector<unsigned char> cmd = store_command(sop_class, sop_uid);
        OFCondition c = write_pdv(assoc, pres, DUL_COMMANDPDV, cmd.data(), cmd.size(), true);
        const unsigned char *p = static_cast<const unsigned char *>(bytes);
        size_t chunk = assoc->sendPDVLength, done = 0;
        do {
            size_t k = std::min(chunk, n - done);
            c = c.good() ? write_pdv(assoc, pres, DUL_DATASETPDV, p + done, k, done + k == n) : c;
            done += k;
        } while (c.good() && done < n);
        T_DIMSE_Message rsp;
        memset(&rsp, 0, sizeof rsp);
        T_ASC_PresentationContextID id = 0;
        if (c.good() &&
            DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, 10, &id, &rsp, nullptr).good() &&
            rsp.CommandField == DIMSE_C_STORE_RSP) {
            *status = rsp.msg.CStoreRSP.DimseStatus;
            result = 0;
            ASC_releaseAssociation(assoc);
        } else {
            result = 1;
            ASC_abortAssociation(assoc);
        }
    }
    if (assoc) ASC_destroyAssociation(&assoc);
    else ASC_destroyAssociationParameters(&params);
    ASC_dropNetwork(&net);
    return result;
}

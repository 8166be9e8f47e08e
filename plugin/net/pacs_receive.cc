// SPDX-License-Identifier: BSD-3-Clause
/* The one handling of a received object, for both retrieves (C-GET on our
 * association, C-MOVE to our Store SCP), and the end of a retrieve in
 * words. */
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmnet/diutil.h>

#include <algorithm>

#include "pacs_private.h"
#include "pacs_scp_private.h"
#include "render_private.h"

namespace tsc__net
{

Receiver::Receiver(const std::string &study_uid, const std::string &folder, size_t max_instances,
                   tsc_pacs_progress_fn fn, void *fn_user)
    : study(study_uid), dir(folder), max(max_instances), progress(fn), user(fn_user)
{
    tsc_error_clear(&write_err);
}

void Receiver::saw(const RetrieveResponse *rsp)
{
    if (!rsp) return;
    size_t n = static_cast<size_t>(rsp->m_numberOfRemainingSubops) +
               rsp->m_numberOfCompletedSubops + rsp->m_numberOfFailedSubops +
               rsp->m_numberOfWarningSubops;
    std::lock_guard<std::mutex> lock(mu);
    total = std::max(total, n);
}

bool Receiver::stopping()
{
    std::lock_guard<std::mutex> lock(mu);
    return cancelled || over_limit || write_err.status != TSC_OK;
}

Uint16 Receiver::take(DcmDataset *ds, bool *stop)
{
    std::lock_guard<std::mutex> lock(mu);
    *stop = false;
    if (!ds) return STATUS_STORE_Error_CannotUnderstand;
    if (cancelled || write_err.status != TSC_OK) {
        *stop = true;
        return STATUS_STORE_Refused_OutOfResources;
    }
    if (received >= max) {
        over_limit = true;
        *stop = true;
        return STATUS_STORE_Refused_OutOfResources;
    }
    OFString st, sop, cls;
    ds->findAndGetOFString(DCM_StudyInstanceUID, st);
    ds->findAndGetOFString(DCM_SOPInstanceUID, sop);
    ds->findAndGetOFString(DCM_SOPClassUID, cls);
    std::string why;
    if (study != st.c_str()) why = "an object of another study";
    else if (!safe_uid(sop.c_str())) why = "an object without a valid SOP Instance UID";
    else if (cls.empty()) why = "an object without a SOP Class UID";
    if (!why.empty()) {
        if (!refused++) first_refusal = why;
        return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    std::string path = dir + "/" + sop.c_str() + ".dcm";
    tsc__outfile of;
    /* The cache is ours: an object sent again replaces its copy. */
    if (tsc__outfile_reserve(&of, path.c_str(), 1, &write_err) != TSC_OK) {
        *stop = true;
        return STATUS_STORE_Refused_OutOfResources;
    }
    DcmFileFormat ff(ds);
    OFCondition c = ff.saveFile(of.tmp, EXS_Unknown, EET_ExplicitLength, EGL_recalcGL, EPD_noChange,
                                0, 0, EWM_createNewMeta);
    if (c.bad()) {
        tsc__outfile_abort(&of);
        tsc_error_set(&write_err, TSC_EIO, "saving %s: %s", path.c_str(), c.text());
        *stop = true;
        return STATUS_STORE_Refused_OutOfResources;
    }
    if (tsc__outfile_commit(&of, &write_err) != TSC_OK) {
        *stop = true;
        return STATUS_STORE_Refused_OutOfResources;
    }
    received++;
    if (progress && progress(user, received, std::max(total, received))) {
        cancelled = true;
        *stop = true;
    }
    return STATUS_Success;
}

tsc_status retrieve_outcome(const Node &n, const Receiver &rx, bool move, const OFCondition &c,
                            Uint16 final_status, size_t failed_subops, Association &a,
                            tsc_error *err)
{
    const char *what = move ? "retrieve (C-MOVE)" : "retrieve (C-GET)";
    if (rx.write_err.status != TSC_OK)
        fail(rx.write_err.status, "retrieving from " + n.where() + ": " + rx.write_err.message);
    if (rx.over_limit)
        return tsc_error_set(err, TSC_ELIMIT,
                             "the study has more than %zu objects: retrieve stopped after %zu "
                             "(raise the limit in Preferences if this is expected)",
                             rx.max, rx.received);
    if (rx.cancelled)
        return tsc_error_set(err, TSC_ECANCELLED, "retrieve cancelled after %zu objects",
                             rx.received);
    if (c.bad()) fail_dimse(n, what, c);
    a.release = true;
    if (move && final_status == STATUS_MOVE_Refused_MoveDestinationUnknown)
        return tsc_error_set(err, TSC_EIO,
                             "%s does not know our AE title '%s' as a move destination: register "
                             "it there with this computer's address and our Store SCP's port "
                             "(Preferences), or retrieve with C-GET",
                             n.where().c_str(), n.calling.c_str());
    if (rx.refused)
        return tsc_error_set(err, TSC_EFORMAT, "%s sent %zu object(s) refused as %s; %zu kept",
                             n.where().c_str(), rx.refused, rx.first_refusal.c_str(), rx.received);
    if (final_status != STATUS_Success && !DICOM_WARNING_STATUS(final_status))
        return tsc_error_set(
            err, TSC_EIO, "%s ended the %s with status 0x%04x (%s) after %zu objects",
            n.where().c_str(), what, final_status,
            move ? DU_cmoveStatusString(final_status) : DU_cgetStatusString(final_status),
            rx.received);
    if (move && rx.received == 0 && failed_subops)
        return tsc_error_set(err, TSC_EIO,
                             "%s could not deliver the study to our Store SCP (%zu objects "
                             "failed): check the address and port it has for our AE title '%s', "
                             "and that no firewall blocks it",
                             n.where().c_str(), failed_subops, n.calling.c_str());
    if (failed_subops || (final_status != STATUS_Success && rx.received == 0))
        return tsc_error_set(err, TSC_EIO,
                             "%s could not send %zu object(s) of the study (%zu received): it may "
                             "hold a kind of object we did not offer to take",
                             n.where().c_str(), failed_subops, rx.received);
    if (rx.received == 0)
        return tsc_error_set(err, TSC_ENOTFOUND, "%s has no objects of that study",
                             n.where().c_str());
    return TSC_OK;
}

} // namespace tsc__net

extern "C" unsigned tsc__pacs_receive_dataset(const void *data, size_t size, int explicit_vr,
                                              const char *study_uid, const char *dir,
                                              size_t *n_written)
{
    if (n_written) *n_written = 0;
    try {
        /* As DIMSE_receiveDataSetInMemory reads a data set: from a buffer
         * stream that holds all of it. */
        DcmInputBufferStream in;
        in.setBuffer(data, static_cast<offile_off_t>(size));
        in.setEos();
        std::unique_ptr<DcmDataset> ds(new DcmDataset);
        ds->transferInit();
        OFCondition c =
            ds->read(in, explicit_vr ? EXS_LittleEndianExplicit : EXS_LittleEndianImplicit);
        ds->transferEnd();
        if (c.bad()) return STATUS_STORE_Error_CannotUnderstand;
        tsc__net::Receiver rx(study_uid, dir, 20000, nullptr, nullptr);
        bool stop = false;
        Uint16 status = rx.take(ds.get(), &stop);
        if (n_written) *n_written = rx.received;
        return status;
    } catch (...) {
        return STATUS_STORE_Refused_OutOfResources;
    }
}

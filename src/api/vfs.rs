//! Methods of the session VFS (API.md §4.2) and snapshots (§4.1 `session.snapshot`,
//! `session.restore`).

use serde_json::json;

use super::core::SessionIdReq;
use super::{parse, respond, Handler};
use crate::engine::{
    Hypervisor, RestoreRequest, VfsEditsRequest, VfsPathRequest, VfsPermissionsRequest,
    VfsReadRequest, VfsWriteRequest,
};
use crate::error::Result;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("vfs.write", vfs_write),
    ("vfs.read", vfs_read),
    ("vfs.delete", vfs_delete),
    ("vfs.list", vfs_list),
    ("vfs.set_permissions", vfs_set_permissions),
    ("vfs.clear_permissions", vfs_clear_permissions),
    ("vfs.edits", vfs_edits),
    ("session.snapshot", session_snapshot),
    ("session.restore", session_restore),
];

fn vfs_write(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vfs_write(&parse::<VfsWriteRequest>(req)?)?)
}

fn vfs_read(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vfs_read(&parse::<VfsReadRequest>(req)?)?)
}

fn vfs_delete(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vfs_delete(&parse::<VfsPathRequest>(req)?)?)
}

fn vfs_list(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&json!({ "paths": hv.vfs_list(&r.session_id, r.trace_id.as_deref())? }))
}

fn vfs_set_permissions(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vfs_set_permissions(parse::<VfsPermissionsRequest>(req)?)?)
}

fn vfs_clear_permissions(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vfs_clear_permissions(&parse::<VfsPathRequest>(req)?)?)
}

fn vfs_edits(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&json!({ "edits": hv.vfs_edits(&parse::<VfsEditsRequest>(req)?)? }))
}

fn session_snapshot(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.snapshot_session(&r.session_id, r.trace_id.as_deref())?)
}

fn session_restore(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.restore_session(&parse::<RestoreRequest>(req)?)?)
}

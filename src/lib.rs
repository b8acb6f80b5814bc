//! scrollback turns exported chat logs into a static website: readable channel history,
//! permalinks that last, incident pages, and full-text search that needs no server.
//!
//! The modules below are declared in layers, lowest first: a module uses only modules
//! declared before it (a test reads every `crate::` path and holds the code to this order).
//!
//! - Foundations: [`model`] (the archive, knowing no format), [`progress`], [`markup`]
//!   (source markup → safe HTML), [`layout`] (the URL contract).
//! - What builds remember and how the site is written: [`store`] (records kept beside the
//!   site), [`cache`] (the fingerprint and the record of the site's files), [`output`]
//!   (staging directory, manifest, commit).
//! - The stages, in pipeline order: [`ingest`] (every format → [`model::Archive`]), [`redact`]
//!   (secrets and personal data), [`config`] (`scrollback.toml`, over every stage's
//!   settings), [`privacy`] (what may be published), [`people`] (one person across sources,
//!   pseudonyms), [`snapshots`] (files and graphs placed and stored), [`incidents`] (detection),
//!   [`ledger`] (incident ids that last), [`index`] (search: tantivy index and static export),
//!   [`render`] (tera templates over view structs), [`continuity`] (renames and removed URLs).
//! - On top: [`site`] runs the pipeline; [`linkcheck`], [`serve`] and [`cli`] are the
//!   commands around it.

pub mod model;
pub mod progress;
pub mod markup;
pub mod layout;
pub mod store;
pub mod cache;
pub mod output;
pub mod ingest;
pub mod redact;
pub mod config;
pub mod privacy;
pub mod people;
pub mod snapshots;
pub mod incidents;
pub mod ledger;
pub mod index;
pub mod render;
pub mod continuity;
pub mod site;
pub mod linkcheck;
pub mod serve;
pub mod cli;

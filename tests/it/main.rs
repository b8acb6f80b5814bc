//! One integration test binary (tantivy and friends are slow to link): every test runs the
//! real `scrollback` binary on fixtures and checks the files it writes.

// Pedantic lints guard library code; tests favour plain, obvious code over it.
#![allow(clippy::pedantic)]

mod campfire;
mod cli;
mod commit;
mod continuity;
mod day_pages;
mod determinism;
mod discord;
mod disk_full;
mod docs;
mod harness;
mod hostile;
mod hostile_archives;
mod incident_classes;
mod incidents;
mod invalid;
mod irc;
mod javascript;
mod jsonl;
mod layers;
mod links;
mod matrix;
mod mattermost;
mod media;
mod oracle;
mod privacy;
mod sample;
mod sanitizer;
mod search;
mod search_export;
mod secrets;
mod serve;
mod shared_fixtures;
mod slack_cases;
mod snapshots;
mod xss;
mod zips;

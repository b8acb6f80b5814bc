#!/bin/sh
# Nightly chat archive with cron and rsync. Install as, for example:
#   17 3 * * *  /srv/chat-archive/nightly.sh >> /var/log/chat-archive.log 2>&1
# The folder holds scrollback.toml; the site is built into public/ (with public.index/ beside
# it, never published) and copied to the web server.
set -eu
cd "$(dirname "$0")"

# One run at a time, even if a night's export is slow to arrive.
exec 9> .nightly.lock
flock -n 9 || { echo "another run is still going"; exit 0; }

# 1. The export (adapt: a Slack export zip copied in, a DiscordChatExporter run, ...).
cp /srv/exports/latest.zip export.zip

# 2. Build. On any error nothing is written and yesterday's site stays as it was; a build
#    that would drop an already-published URL is refused (--allow-removals when meant).
scrollback build export.zip --out public

# 3. Check every internal link, then publish. Every build rewrites its files, so compare by
#    content (--checksum): only pages whose content changed are sent.
scrollback check --site public
rsync -a --delete --checksum public/ web@www.example.com:/var/www/chat-archive/

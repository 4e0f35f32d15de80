#!/usr/bin/env bash
# A real Active Directory domain controller (Samba AD DC, Debian packages) for the AD tests and the
# bench, living entirely in one state folder. Provisioning follows Samba's own guide
# (https://wiki.samba.org/index.php/Setting_up_Samba_as_an_Active_Directory_Domain_Controller);
# where a step departs from it or is not obvious, the comment above the step says why.
#
#   samba-dc.sh install                   install the Debian packages when missing (root)
#   samba-dc.sh provision DIR             (re)provision WIDIP.TEST into DIR (DC stopped)
#   samba-dc.sh start DIR                 start the DC of DIR (provisioned) and wait for LDAPS
#   samba-dc.sh ensure DIR [LEASE_PID]    one call for tests: install, provision, start as needed,
#                                         reuse a healthy running DC, re-provision a broken one;
#                                         records LEASE_PID as a user of the DC
#   samba-dc.sh release DIR LEASE_PID     forget that user; stop the DC when no live user is left
#   samba-dc.sh stop DIR                  stop the DC now
#   samba-dc.sh status DIR                "running" (exit 0) or "stopped" (exit 3)
#
# The DC's LDAP ports are fixed (389, 636, 3268, 3269, loopback only), so there is one DC per
# machine: every subcommand that changes its state holds an exclusive flock on DIR.lock, which makes
# `ensure` idempotent and race-free across parallel test workers.
#
# DIR holds: etc/smb.conf, private/ (sam.ldb, tls/ca.pem once started), admin.pw (the Administrator
# password, mode 600, no newline), leases/<pid>, run/samba.pid, log/.
set -euo pipefail

REALM=WIDIP.TEST
DOMAIN=WIDIP
HOST=dc1
# Bump when the provisioning below changes: a DIR provisioned by an older version is re-provisioned.
LAYOUT=widip-samba-dc-v1
PACKAGES=(samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind krb5-user ldb-tools ldap-utils smbclient)
START_WAIT_S=${WIDIP_SAMBA_START_WAIT_S:-30}

log() { echo "samba-dc: $*" >&2; }
die() {
	log "$*"
	exit 1
}

need_dir() {
	[ -n "${1:-}" ] || die "missing the state folder argument"
	mkdir -p "$1"
	cd "$1" && pwd
}

install_packages() {
	local missing=()
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	if [ "${#missing[@]}" -eq 0 ] && command -v samba >/dev/null && command -v samba-tool >/dev/null; then
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "Samba packages missing (${missing[*]}): run as root, or install them: apt-get install --no-install-recommends ${PACKAGES[*]}"
	log "installing ${missing[*]} (Debian packages)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}" >&2
}

pid_of() {
	local file="$1/run/samba.pid"
	[ -s "$file" ] || return 1
	local pid
	pid=$(tr -dc '0-9' <"$file")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# a zombie, or a recycled pid that is not a samba, is not our DC (samba rewrites its
	# command line, so the binary is what we can check)
	case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in */samba) ;; *) return 1 ;; esac
	echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A real LDAPS bind as Administrator: the DC answers, its certificate exists, its database works.
ldaps_ok() {
	local dir="$1"
	[ -s "$dir/private/tls/ca.pem" ] && [ -s "$dir/admin.pw" ] || return 1
	LDAPTLS_CACERT="$dir/private/tls/ca.pem" LDAPTLS_REQCERT=allow LDAPCONF=/dev/null LDAPRC=/dev/null \
		timeout 10 ldapsearch -LLL -o nettimeout=5 -H ldaps://127.0.0.1:636 -x \
		-D "Administrator@$REALM" -y "$dir/admin.pw" -b "" -s base defaultNamingContext >/dev/null 2>&1
}

provisioned() { [ -f "$1/.provisioned" ] && [ "$(cat "$1/.provisioned")" = "$LAYOUT" ] && [ -s "$1/etc/smb.conf" ]; }

provision() {
	local dir="$1"
	# everything in DIR is wiped below: only ever in an empty folder or one this script made
	if [ "$dir" = / ] || { [ ! -f "$dir/.samba-dc-state" ] && [ ! -f "$dir/.provisioned" ] && [ -n "$(ls -A "$dir" | grep -v '^leases$' || true)" ]; }; then
		die "$dir is not empty and was not made by $0: refusing to provision (and wipe) it"
	fi
	stop_dc "$dir"
	log "provisioning $REALM into $dir"
	# keep the leases and the folder itself; everything else goes
	find "$dir" -mindepth 1 -maxdepth 1 ! -name leases ! -name .samba-dc-state -exec rm -rf {} +
	echo "state folder of $0" >"$dir/.samba-dc-state"
	mkdir -p "$dir/etc" "$dir/run" "$dir/log" "$dir/leases" "$dir/ncalrpc" "$dir/ntp_signd"
	: >"$dir/empty.conf"
	local pass
	pass="Wdp-Adm1n-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	(umask 077 && printf '%s' "$pass" >"$dir/admin.pw")
	samba-tool domain provision -s "$dir/empty.conf" --targetdir="$dir" \
		--server-role=dc --dns-backend=SAMBA_INTERNAL --realm="$REALM" --domain="$DOMAIN" \
		--host-name="$HOST" --adminpass="$pass" \
		--option="interfaces = lo" --option="bind interfaces only = yes" \
		--option="server services = ldap" --option="tls enabled = yes" \
		--option="pid directory = $dir/run" --option="ncalrpc dir = $dir/ncalrpc" \
		--option="ntp signd socket directory = $dir/ntp_signd" \
		--option="log file = $dir/log/samba.log" \
		>"$dir/log/provision.log" 2>&1 || {
		tail -n 30 "$dir/log/provision.log" >&2
		die "provisioning failed (log: $dir/log/provision.log)"
	}
	# Provisioning drops this option: appended to [global] so an old password stops working at
	# once after a reset (default: 60 more minutes, LDAP binds included).
	sed -i '/^\[global\]/a\	old password allowed period = 0' "$dir/etc/smb.conf"
	grep -q 'old password allowed period = 0' "$dir/etc/smb.conf" || die "could not set 'old password allowed period' in $dir/etc/smb.conf"
	# Lockout after 3 bad passwords; resets take effect at once and never expire.
	samba-tool domain passwordsettings set -s "$dir/etc/smb.conf" \
		--account-lockout-threshold=3 --min-pwd-age=0 --max-pwd-age=0 >>"$dir/log/provision.log" 2>&1 || {
		tail -n 30 "$dir/log/provision.log" >&2
		die "setting the password policy failed"
	}
	echo "$LAYOUT" >"$dir/.provisioned"
}

start_dc() {
	local dir="$1"
	if pid_of "$dir" >/dev/null && ldaps_ok "$dir"; then return 0; fi
	stop_dc "$dir"
	if port_open 636; then
		die "something else listens on 127.0.0.1:636 (another DC?); stop it first"
	fi
	log "starting the DC of $dir"
	rm -f "$dir/run/"*.pid
	# 9>&-: the daemon must not inherit the lock, or it would hold it for its whole life
	samba -s "$dir/etc/smb.conf" -D -M single -l "$dir/log" </dev/null >>"$dir/log/start.log" 2>&1 9>&- || return 1
	local deadline=$((SECONDS + START_WAIT_S)) tries=0
	until ldaps_ok "$dir"; do
		tries=$((tries + 1))
		# the daemon writes its pid file at once: none after 2 s means it died (broken database…)
		if [ $tries -ge 10 ] && ! pid_of "$dir" >/dev/null; then
			log "the DC exited during start"
			tail -n 20 "$dir/log/samba.log" >&2 2>/dev/null || true
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			log "the DC did not answer on ldaps://127.0.0.1:636 within ${START_WAIT_S}s"
			tail -n 20 "$dir/log/samba.log" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.2
	done
}

stop_dc() {
	local dir="$1" pid
	pid=$(pid_of "$dir") || return 0
	log "stopping the DC of $dir (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	# single-process model: the children (if any) share the process group of the daemon
	rm -f "$dir/run/samba.pid"
}

ensure() {
	local dir="$1" lease="${2:-}"
	install_packages
	if ! provisioned "$dir"; then provision "$dir"; fi
	if ! start_dc "$dir"; then
		log "the DC of $dir is broken: provisioning it again"
		provision "$dir"
		start_dc "$dir" || die "the DC does not start even after a fresh provisioning (logs: $dir/log)"
	fi
	if [ -n "$lease" ]; then
		mkdir -p "$dir/leases"
		: >"$dir/leases/$lease"
	fi
}

release() {
	local dir="$1" lease="$2"
	rm -f "$dir/leases/$lease"
	local f live=0
	for f in "$dir"/leases/*; do
		[ -e "$f" ] || continue
		if kill -0 "$(basename "$f")" 2>/dev/null; then live=$((live + 1)); else rm -f "$f"; fi
	done
	if [ "$live" -eq 0 ]; then stop_dc "$dir"; else log "DC left running: $live other user(s)"; fi
}

with_lock() {
	local dir="$1"
	shift
	exec 9>"$dir.lock"
	flock -w 300 9 || die "could not lock $dir.lock within 300 s"
	"$@"
}

cmd="${1:-}"
case "$cmd" in
install) install_packages ;;
provision)
	dir=$(need_dir "${2:-}")
	install_packages
	with_lock "$dir" provision "$dir"
	;;
start)
	dir=$(need_dir "${2:-}")
	provisioned "$dir" || die "$dir is not provisioned: run '$0 provision $dir' (or ensure)"
	with_lock "$dir" start_dc "$dir" || die "the DC did not start (logs: $dir/log)"
	;;
ensure)
	dir=$(need_dir "${2:-}")
	with_lock "$dir" ensure "$dir" "${3:-}"
	;;
release)
	dir=$(need_dir "${2:-}")
	[ -n "${3:-}" ] || die "release needs the lease pid"
	with_lock "$dir" release "$dir" "$3"
	;;
stop)
	dir=$(need_dir "${2:-}")
	with_lock "$dir" stop_dc "$dir"
	;;
status)
	dir=$(need_dir "${2:-}")
	if pid_of "$dir" >/dev/null && ldaps_ok "$dir"; then
		echo running
	else
		echo stopped
		exit 3
	fi
	;;
*)
	sed -n '2,20p' "$0" >&2
	exit 2
	;;
esac

/**
 * The guest side of the CirrOS-like image: busybox init's inittab and the shell scripts it
 * runs. Written for busybox `sh` (ash). The boot follows CirrOS's order: network (DHCP on
 * eth0), a datasource (config drive labelled `config-2` mounted at /mnt/config, else the EC2
 * metadata service at 169.254.169.254), hostname, SSH keys for `cirros` and root, user data
 * (run when it starts with `#!`), then dropbear on port 22 (busybox init respawns it).
 */

export const IMAGE_VERSION = '0.6-stratus2';

export const INITTAB = `# busybox init (Stratus CirrOS-like image)
::sysinit:/etc/init.d/rcS
::respawn:/usr/sbin/dropbear -F -p 22 -r /etc/dropbear/dropbear_ed25519_host_key -r /etc/dropbear/dropbear_ecdsa_host_key -P /run/dropbear.pid
::once:/etc/init.d/login-banner
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/init.d/rcK
::restart:/sbin/init
`;

export const RCS = `#!/bin/sh
# Boot script of the Stratus CirrOS-like image.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

# What a container or a VM needs mounted; a container runtime usually did it already.
grep -q ' /proc ' /proc/mounts 2>/dev/null || mount -t proc proc /proc
grep -q ' /sys ' /proc/mounts || mount -t sysfs sysfs /sys 2>/dev/null
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
grep -q ' /dev/pts ' /proc/mounts || mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts 2>/dev/null
[ -e /dev/ptmx ] || ln -sf pts/ptmx /dev/ptmx
grep -q ' /run ' /proc/mounts || mount -t tmpfs -o mode=755 tmpfs /run 2>/dev/null
mkdir -p /run/cirros /var/log /tmp
chmod 1777 /tmp

VERSION=$(cat /etc/cirros/version)
UP=$(cut -d' ' -f1 /proc/uptime)
echo "=== cirros: current=$VERSION (stratus) uptime=$UP ==="
case "$(hostname)" in ""|"(none)"|localhost) hostname -F /etc/hostname 2>/dev/null ;; esac
ip link set lo up

# Network: DHCP on eth0, as CirrOS does; any other ethN is brought up only.
IFACES=$(ls /sys/class/net 2>/dev/null | grep '^eth' | sort)
if [ -z "$IFACES" ]; then
  echo "Starting network... no network interface found"
fi
for i in $IFACES; do
  ip link set "$i" up
done

# SSH host keys, unique to the instance, made at first boot (in the background, while DHCP
# and the metadata fetches run; waited for before dropbear starts).
( for t in ed25519 ecdsa; do
    k=/etc/dropbear/dropbear_\${t}_host_key
    [ -s "$k" ] || dropbearkey -t $t -f "$k" >/dev/null 2>&1
  done ) &
KEYGEN=$!

if echo "$IFACES" | grep -qx eth0; then
  # Wait (up to 5 s) for the link's carrier: the host side of the port joins its bridge a moment
  # after the interface appears, and a DHCPDISCOVER sent before that is lost (a 1 s retry).
  n=0
  while [ $n -lt 250 ] && [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ]; do
    sleep 0.02
    n=$((n + 1))
  done
  echo "Starting network: udhcpc on eth0"
  # NOTE: no pipe here: udhcpc stays in the background holding its stdout, a pipe would never end.
  udhcpc -i eth0 -b -S -t 5 -T 1 -A 2 -s /usr/share/udhcpc/default.script \\
    -O staticroutes -O mtu -x hostname:"$(hostname)" 2>&1
fi

# Datasource: a config drive first, then the EC2 metadata service.
DS=none
MD=http://169.254.169.254/latest
CD=/mnt/config/openstack/latest
# NOTE: busybox 1.35 (static) wget segfaults with -T; bound it with timeout instead.
fetch() { timeout 3 wget -q -O "$2" "$1" 2>/dev/null; }
# The drive is found by its label, as cloud-init does; a hypervisor that shows its files at
# /mnt/config already (a kernel without iso9660) needs no mount.
CDEV=$(findfs LABEL=config-2 2>/dev/null)
if [ -n "$CDEV" ]; then
  echo "config drive: $CDEV (label config-2)"
  if [ ! -r "$CD/meta_data.json" ]; then
    mkdir -p /mnt/config
    mount -r -t iso9660 "$CDEV" /mnt/config 2>/dev/null || echo "config drive: $CDEV cannot be mounted here"
  fi
fi
if [ -r "$CD/meta_data.json" ]; then
  DS=configdrive
  J=$(cat "$CD/meta_data.json")
  echo "$J" | sed -n 's/.*"hostname":"\\([^"]*\\)".*/\\1/p' > /run/cirros/hostname
  echo "$J" | sed -n 's/.*"public_keys":{\\([^}]*\\)}.*/\\1/p' | sed 's/","/"\\n"/g' |
    sed -n 's/^"[^"]*":"\\(.*\\)"$/\\1/p' > /run/cirros/keys
  echo "$J" | sed -n 's/.*"uuid":"\\([^"]*\\)".*/\\1/p' > /run/cirros/instance-id
  [ -r "$CD/user_data" ] && cp "$CD/user_data" /run/cirros/user-data
elif ip -4 route | grep -q .; then
  n=0
  while [ $n -lt 30 ]; do
    if fetch "$MD/meta-data/instance-id" /run/cirros/instance-id; then DS=ec2; break; fi
    n=$((n + 1))
    sleep 0.1
  done
  if [ $DS = ec2 ]; then
    # The rest at once (each fetch is independent); all of them finish before anything is used.
    fetch "$MD/meta-data/hostname" /run/cirros/hostname &
    fetch "$MD/meta-data/public-keys/0/openssh-key" /run/cirros/keys &
    ( fetch "$MD/user-data" /run/cirros/user-data || rm -f /run/cirros/user-data ) &
    wait
  fi
fi
echo "=== datasource: $DS ==="
if [ $DS != none ]; then
  echo "instance-id: $(cat /run/cirros/instance-id 2>/dev/null)"
  H=$(cut -d. -f1 /run/cirros/hostname 2>/dev/null)
  if [ -n "$H" ]; then
    echo "$H" > /etc/hostname
    hostname "$H" 2>/dev/null
  fi
  echo "local-hostname: $(hostname)"
  if [ -s /run/cirros/keys ]; then
    for home in /home/cirros /root; do
      mkdir -p $home/.ssh
      cp /run/cirros/keys $home/.ssh/authorized_keys
      chmod 700 $home/.ssh
      chmod 600 $home/.ssh/authorized_keys
    done
    chown -R cirros:cirros /home/cirros/.ssh
    echo "public-keys: $(wc -l < /run/cirros/keys) installed for cirros and root"
  fi
fi
echo "=== network info ==="
ip -4 -o addr show | sed 's/^/if-info: /'
ip route | sed 's/^/route-info: /'

# SSH host keys (being made since the network came up).
wait $KEYGEN 2>/dev/null
echo "-----BEGIN SSH HOST KEY FINGERPRINTS-----"
for t in ed25519 ecdsa; do
  dropbearkey -y -f /etc/dropbear/dropbear_\${t}_host_key 2>/dev/null | grep -i fingerprint
done
echo "-----END SSH HOST KEY FINGERPRINTS-----"

# User data: run it (in the background, like cloud-init's scripts-user) when it is a script.
if [ -s /run/cirros/user-data ] && [ "$(head -c 2 /run/cirros/user-data)" = '#!' ]; then
  cp /run/cirros/user-data /run/cirros/user-data.sh
  chmod 700 /run/cirros/user-data.sh
  echo "=== running user-data script ==="
  ( /run/cirros/user-data.sh 2>&1 | sed 's/^/user-data: /'; echo "=== user-data exited ===" ) &
fi
echo "=== cirros: boot done uptime=$(cut -d' ' -f1 /proc/uptime) ==="
`;

export const LOGIN_BANNER = `#!/bin/sh
echo '  ____               ____  ____'
echo ' / __/ __ ____ ____ / __ \\/ __/'
echo '/ /__ / // __// __// /_/ /\\ \\ '
echo '\\___//_//_/  /_/   \\____/___/ '
echo '   Stratus CirrOS-like image, built from Debian packages'
echo
echo "login as 'cirros' user with your SSH key. use 'su' for root."
echo "$(hostname) login: "
`;

export const RCK = `#!/bin/sh
echo "=== cirros: shutting down ==="
kill $(cat /run/dropbear.pid 2>/dev/null) 2>/dev/null
sync
`;

/** udhcpc's hook: applies a lease with busybox \`ip\`. */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    mask=\${mask:-24}
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" \${broadcast:+broadcast $broadcast} dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        ip route replace "$1" via "$2" dev "$interface"
        shift 2
      done
    fi
    for r in $router; do
      ip route replace default via "$r" dev "$interface" && break
    done
    # A gratuitous ARP: neighbours that knew this address at another MAC (a deleted instance's)
    # learn the new one at once instead of when their entry expires.
    arping -U -c 1 -I "$interface" "$ip" >/dev/null 2>&1 &
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "lease of $ip obtained on $interface"
    ;;
esac
exit 0
`;

export const PASSWD = `root:x:0:0:root:/root:/bin/sh
cirros:x:1000:1000:cirros:/home/cirros:/bin/sh
`;
export const GROUP = `root:x:0:
tty:x:5:
wheel:x:10:cirros
cirros:x:1000:
`;
/** Key login only: `*` is "no password" without being "locked" (dropbear refuses `!`). */
export const SHADOW = `root:*:19000:0:99999:7:::
cirros:*:19000:0:99999:7:::
`;
export const SHELLS = '/bin/sh\n/bin/ash\n';
export const OS_RELEASE = `NAME="CirrOS"
VERSION="${IMAGE_VERSION}"
ID=cirros
PRETTY_NAME="CirrOS-like ${IMAGE_VERSION} (Stratus, busybox + dropbear from Debian)"
`;

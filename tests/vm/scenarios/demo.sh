# vm-demo: the demo's guest side (scripts/demo-guest.sh) as a test, with
# its host side (scripts/demo-host.sh, LC_DEMO_HOLD=0) as the host hook:
# sway on a lease shown in the viewer page, a command typed in the page
# run in the desktop's terminal. Keeps the demo from drifting from the
# pieces it shows.
. "$LC_SRC/scripts/demo-guest.sh"

"""netmiko juniper_junos: send_command('show version'), send_config_set([...]) + commit."""
import json
import sys

from netmiko import ConnectHandler

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
conn = ConnectHandler(device_type="juniper_junos", host=host, port=port, username=user,
                      password=password, use_keys=False, allow_agent=False, fast_cli=False)
out["prompt"] = conn.find_prompt()
out["show_version"] = conn.send_command("show version").strip().splitlines()[0]
out["config"] = conn.send_config_set(["set system host-name netmiko-renamed"], exit_config_mode=False)
out["commit"] = conn.commit()
conn.exit_config_mode()
out["after"] = conn.send_command("show configuration system host-name")
conn.disconnect()
print(json.dumps(out))

"""One planted secret per kind: where it lives (a file name under the host root, or a
program's output) and the exact secret that must never reach any output.

The secrets are fake: made of the documented prefix and length of each issuer with
filler characters, never real credentials.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    text: str  # what is planted
    secret: str  # what must not appear anywhere afterwards
    ext: str = "conf"  # the planted file's extension (podman reads /etc/containers/*.conf|json)


def _k(name: str, text: str, secret: str, ext: str = "conf") -> Kind:
    assert secret in text, name
    return Kind(name, text, secret, ext)


A40 = "Zq7" * 13 + "x"  # 40 filler characters
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDpemBodyQ7x"

KINDS: tuple[Kind, ...] = (
    # -- TOML -------------------------------------------------------------------------------
    _k("toml-password", 'password = "tomlPw-7731"\n', "tomlPw-7731"),
    _k("toml-jaeger-password", '[runtime]\njaeger_password = "jaegerPw-1"\n', "jaegerPw-1"),
    _k("toml-literal", "secret = 'tomlLiteral-442'\n", "tomlLiteral-442"),
    _k(
        "toml-multiline-basic",
        'private_key = """\nmultiBasicLine1-91\nmultiBasicLine2-91\n"""\n',
        "multiBasicLine2-91",
    ),
    _k("toml-multiline-literal", "token = '''\nmultiLiteral-5521\n'''\n", "multiLiteral-5521"),
    _k("toml-array", 'tokens = ["arrTokA-661", "arrTokB-662"]\n', "arrTokB-662"),
    _k(
        "toml-array-multiline",
        'passwords = [\n  "arrMl-a-13",\n  "arrMl-b-14",\n]\n',
        "arrMl-b-14",
    ),
    _k(
        "toml-inline-table",
        'auth = { username = "inlUser-88", password = "inlPw-88" }\n',
        "inlPw-88",
    ),
    _k(
        "toml-containerd-registry-auth",
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example.com".auth]\n'
        '  identitytoken = "ctrdIdTok-4"\n',
        "ctrdIdTok-4",
    ),
    _k("toml-dotted-key", 'registry.auth.password = "dottedPw-52"\n', "dottedPw-52"),
    _k("toml-api-key", 'api_key = "tomlApiKey-0093"\n', "tomlApiKey-0093"),
    # -- YAML -------------------------------------------------------------------------------
    _k("yaml-plain", "database:\n  password: yamlPlain-271 spaced words\n", "spaced words"),
    _k("yaml-quoted", "client_secret: 'yamlQuoted-39'\n", "yamlQuoted-39"),
    _k(
        "yaml-block-literal",
        "secret: |\n  yamlBlockLine1-5\n  yamlBlockLine2-5\nnext: ok\n",
        "yamlBlockLine2-5",
    ),
    _k(
        "yaml-block-folded-strip",
        "credentials: >-\n    yamlFolded-77\n    more-yamlFolded\n",
        "more-yamlFolded",
    ),
    _k("yaml-list", "passwords:\n  - yamlListA-1\n  - yamlListB-2\n", "yamlListB-2"),
    _k("yaml-list-item-key", "users:\n  - name: bob\n    token: yamlItemTok-3\n", "yamlItemTok-3"),
    _k(
        "kubeconfig-exec-env",
        "    exec:\n      env:\n      - name: AWS_PROFILE_X\n        value: kubeExecEnv-12\n",
        "kubeExecEnv-12",
    ),
    _k("kubeconfig-token", "users:\n- name: a\n  user:\n    token: kubeTok-Q1\n", "kubeTok-Q1"),
    # -- JSON -------------------------------------------------------------------------------
    _k("json-password", '{"password": "jsonPw-333"}\n', "jsonPw-333", "json"),
    _k(
        "json-nested-auth",
        '{"auths": {"quay.io": {"auth": "cXVheTpqc29uTmVzdGVk"}}}\n',
        "cXVheTpqc29uTmVzdGVk",
        "json",
    ),
    _k(
        "json-array",
        '{"tokens": [\n  "jsonArrA-9",\n  "jsonArrB-9"\n]}\n',
        "jsonArrB-9",
        "json",
    ),
    _k("json-number", '{"pin_password": 48151623}\n', "48151623", "json"),
    _k(
        "json-escaped",
        '{"secret": "jsonEsc\\"aped-21"}\n',
        "aped-21",
        "json",
    ),
    _k(
        "docker-http-headers",
        '{"HttpHeaders": {"X-Meta-Source": "hdrCustomVal-4"}}\n',
        "hdrCustomVal-4",
        "json",
    ),
    _k(
        "docker-identitytoken",
        '{"auths": {"r.io": {"identitytoken": "dockerIdTok-71"}}}\n',
        "dockerIdTok-71",
        "json",
    ),
    _k(
        "oauth-client-json",
        '{"installed": {"client_id": "1.apps.example.com", "client_secret": "oauthSec-abc123"}}\n',
        "oauthSec-abc123",
        "json",
    ),
    # -- systemd ----------------------------------------------------------------------------
    _k("systemd-environment", "Environment=REGISTRY_TOKEN=sdEnvTok-1\n", "sdEnvTok-1"),
    _k(
        "systemd-environment-quoted",
        'Environment="A=1" "DB_PASSWORD=sd quoted-pw" "B=2"\n',
        "quoted-pw",
    ),
    _k("systemd-set-credential", "SetCredential=dbpass:sdCred-61\n", "sdCred-61"),
    _k(
        "systemd-execstart-flag",
        "ExecStart=/usr/bin/agent --api-key sdExecKey-8 --verbose\n",
        "sdExecKey-8",
    ),
    # -- shell ------------------------------------------------------------------------------
    _k("shell-export", "export GITLAB_PASSWORD=shExport-19\n", "shExport-19"),
    _k("shell-export-quoted", 'export API_TOKEN="shQuoted 20"\n', "shQuoted 20"),
    _k("shell-inline-env", "DB_PASS=shInline-21 ./migrate\n", "shInline-21"),
    _k("shell-pwd-suffix", "MYSQL_PWD=shMysqlPwd-22 mysql -u root\n", "shMysqlPwd-22"),
    _k("shell-key-suffix", "ENCRYPTION_KEY=shEncKey-23\n", "shEncKey-23"),
    _k("shell-secret-suffix", "APP_SECRET=shAppSecret-24\n", "shAppSecret-24"),
    _k("env-file-lowercase", "db_pass=envLower-25\n", "envLower-25"),
    _k("logfmt", 'level=info msg="x" session=logfmtSess-26 user=a\n', "logfmtSess-26"),
    _k("ini-spaced", "[client]\npassword = ini spaced pw-27\n", "spaced pw-27"),
    _k("cookie-key", 'cookie_secret = "cookieSec-28"\n', "cookieSec-28"),
    _k("signature-key", "request_signature: sigVal-29\n", "sigVal-29"),
    _k("camel-case", '{"clientSecret": "camelSec-30"}\n', "camelSec-30", "json"),
    # -- HTTP headers -----------------------------------------------------------------------
    _k("header-bearer", "Authorization: Bearer hdrBearer-31.x\n", "hdrBearer-31.x"),
    _k("header-basic", "authorization: Basic aGRyQmFzaWMtMzI=\n", "aGRyQmFzaWMtMzI="),
    _k(
        "header-aws-sigv4",
        "Authorization: AWS4-HMAC-SHA256 Credential=x/y, Signature=hdrSigV4a33\n",
        "hdrSigV4a33",
    ),
    _k("header-schemeless", "Authorization: hdrRaw-34\n", "hdrRaw-34"),
    _k("header-proxy-auth", "Proxy-Authorization: Basic hdrProxy-35\n", "hdrProxy-35"),
    _k("header-cookie", "Cookie: sid=hdrCookie-36; theme=dark\n", "hdrCookie-36"),
    _k("header-set-cookie", "Set-Cookie: session=hdrSetCookie-37; HttpOnly\n", "hdrSetCookie-37"),
    _k(
        "header-registry-auth",
        "X-Registry-Auth: eyJ1c2VybmFtZSI6ImhkciJ9\n",
        "eyJ1c2VybmFtZSI6ImhkciJ9",
    ),
    _k("header-x-token", "X-Vault-Token: hdrVault-38\n", "hdrVault-38"),
    _k("header-x-custom-token", "X-Gitlab-Token: hdrGlTok-39\n", "hdrGlTok-39"),
    _k("header-in-json", '{"Authorization": "Token hdrJson-40"}\n', "hdrJson-40", "json"),
    # -- URL credentials --------------------------------------------------------------------
    _k("url-password", "proxy = http://u:urlPw-41@proxy.example.com:3128\n", "urlPw-41"),
    _k("url-password-at", "url: https://u:p@ss-urlAt42@registry.example.com/v2\n", "ss-urlAt42"),
    _k(
        "url-password-slash", "url: https://u:pa/ss-urlSl43@registry.example.com/v2\n", "ss-urlSl43"
    ),
    _k("url-schemeless", "HTTP_PROXY=u:urlBare-44@proxy.corp:3128\n", "urlBare-44"),
    _k("url-schemeless-at", "proxy: user:p@ss-urlBareAt45@proxy.corp:3128\n", "ss-urlBareAt45"),
    _k("url-percent-encoded", "https://u:pct%40urlPct46@h.example.com/\n", "urlPct46"),
    _k(
        "url-in-kernel-params",
        'kernel_params = "agent.kbs=https://k:kbsPw-47@kbs.example.com"\n',
        "kbsPw-47",
    ),
    _k("git-credentials", "https://oauth2:gitCred-48@gitlab.example.com\n", "gitCred-48"),
    # -- private keys -----------------------------------------------------------------------
    _k(
        "pem-rsa",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n",
        PEM_BODY,
    ),
    _k(
        "pem-pkcs8",
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}1\n-----END PRIVATE KEY-----\n",
        PEM_BODY + "1",
    ),
    _k(
        "pem-ec",
        f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}2\n-----END EC PRIVATE KEY-----\n",
        PEM_BODY + "2",
    ),
    _k(
        "pem-encrypted",
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{PEM_BODY}3\n-----END ENCRYPTED PRIVATE KEY-----\n",
        PEM_BODY + "3",
    ),
    _k(
        "pem-openssh",
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}4\n-----END OPENSSH PRIVATE KEY-----\n",
        PEM_BODY + "4",
    ),
    _k(
        "pem-dsa",
        f"-----BEGIN DSA PRIVATE KEY-----\n{PEM_BODY}5\n-----END DSA PRIVATE KEY-----\n",
        PEM_BODY + "5",
    ),
    _k(
        "pgp-private",
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PEM_BODY}6\n-----END PGP PRIVATE KEY BLOCK-----\n",
        PEM_BODY + "6",
    ),
    _k(
        "pem-in-json",
        '{"key": "-----BEGIN RSA PRIVATE KEY-----\\nJsonPemBody77\\n-----END RSA PRIVATE KEY-----"}\n',
        "JsonPemBody77",
        "json",
    ),
    _k("pem-truncated", f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}8\n", PEM_BODY + "8"),
    _k(
        "pem-base64",
        "client-cert: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQktjd2dnU2pBZ0VBQW9JQkFR\n",
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQktjd2dnU2pBZ0VBQW9JQkFR",
    ),
    _k(
        "putty-key",
        "PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\nAAAAPuttyPriv79xyz\nPrivate-MAC: abc\n",
        "AAAAPuttyPriv79xyz",
    ),
    # -- known token formats ----------------------------------------------------------------
    _k("aws-access-key-id", "aws_access_key_id = AKIAQWERTYUIOPASDF12\n", "AKIAQWERTYUIOPASDF12"),
    _k("aws-secret-access-key", f"aws_secret_access_key = {A40}\n", A40),
    _k(
        "github-pat-classic",
        "note ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8 here\n",
        "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8",
    ),
    _k(
        "github-pat-fine",
        "github_pat_11ABCDEFG0" + "abcdefghij" * 6 + "\n",
        "github_pat_11ABCDEFG0" + "abcdefghij" * 6,
    ),
    _k("gitlab-pat", "glpat-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn" + "\n", "glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"),
    _k(
        "gitlab-runner",
        "GR1348941" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt" + "\n",
        "GR1348941Zz9Yy8Xx7Ww6Vv5Uu4Tt",
    ),
    _k(
        "slack-bot",
        "xoxb-123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx" + "\n",
        "AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    _k(
        "slack-webhook",
        "https://hooks.slack.com/services/T0000000/B0000000/" + "XxYyZz" * 4 + "\n",
        "XxYyZz" * 4,
    ),
    _k(
        "google-api-key",
        "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q" + "\n",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    ),
    _k(
        "docker-hub-pat",
        "dckr_pat_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0" + "\n",
        "dckr_pat_AbCdEfGhIjKlMnOpQrStUvWxYz0",
    ),
    _k(
        "stripe-live",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "\n",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    _k(
        "stripe-restricted",
        "rk_test_" + "51H8xYzAbCdEfGhIjKlMnOp" + "\n",
        "rk_test_51H8xYzAbCdEfGhIjKlMnOp",
    ),
    _k(
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3QtOTIifQ.c2lnbmF0dXJlLTkyc2ln\n",
        "eyJzdWIiOiJqd3QtOTIifQ",
    ),
    _k(
        "s3-presigned",
        "GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
        + "ab12" * 16
        + "&X-Amz-Date=1\n",
        "ab12" * 16,
    ),
    _k("s3-security-token", "x?X-Amz-Security-Token=s3SessTok93xyz&y=1\n", "s3SessTok93xyz"),
    _k(
        "ceph-keyring",
        "[client.admin]\n\tkey = AQBzjwFbAAAAABAA2jEZe8YQmx7lUqFWpuzh+w==\n",
        "AQBzjwFbAAAAABAA2jEZe8YQmx7lUqFWpuzh+w==",
    ),
    _k(
        "ceph-mount-secret",
        "mount -t ceph m:/ /mnt -o name=admin,secret=AQCephMount94AAAAAAAAAAAAAAAAAAAAAAAA==\n",
        "AQCephMount94AAAAAAAAAAAAAAAAAAAAAAAA==",
    ),
    _k(
        "npm-token",
        "//registry.npmjs.org/:_authToken=npm_" + "a1B2c3D4e5" * 3 + "F6g7H8\n",
        "npm_" + "a1B2c3D4e5" * 3 + "F6g7H8",
    ),
    _k("vault-token", "hvs." + "CAESIJvaultTok95xyzAbCdEf" + "\n", "hvs.CAESIJvaultTok95xyzAbCdEf"),
    _k(
        "password-hash",
        "root:$6$saltsalt$hashHASHhash96hashHASH:19000:0\n",
        "hashHASHhash96hashHASH",
    ),
    # -- command lines ----------------------------------------------------------------------
    _k("cli-login-p", "docker login -u me -p cliLoginP-97 registry.io\n", "cliLoginP-97"),
    _k("cli-password-space", "tool --password cliPwSpace-98 run\n", "cliPwSpace-98"),
    _k("cli-password-equals", "tool --password=cliPwEq-99 run\n", "cliPwEq-99"),
    _k(
        "cli-token-flag",
        "kubeadm join x --token abcdef.cliTok100abcdef\n",
        "abcdef.cliTok100abcdef",
    ),
    _k("cli-mysql-glued", "mysql -u root -pcliMysql101 db\n", "cliMysql101"),
    _k("cli-curl-user", "curl -u admin:cliCurl102 https://h.example.com\n", "cliCurl102"),
    _k("cli-creds", "skopeo copy --src-creds u:cliCreds103 a b\n", "cliCreds103"),
    _k("qemu-secret-object", "-object secret,id=s0,data=cliQemu104,format=base64\n", "cliQemu104"),
    _k(
        "cli-echo-password-stdin",
        "echo cliEcho105 | docker login --password-stdin r.io\n",
        "cliEcho105",
    ),
    # -- glued and bare names ---------------------------------------------------------------
    _k("env-glued-password", "export PGPASSWORD=gluedPg-107\n", "gluedPg-107"),
    _k("env-bare-pass", "PASS=barePass-108\n", "barePass-108"),
    # -- more token formats -----------------------------------------------------------------
    _k(
        "telegram-bot-token",
        "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    ),
    _k(
        "discord-webhook",
        "https://discord.com/api/webhooks/123456/AbCdEfGhIjKlMnOpQrStUvWxYz01\n",
        "AbCdEfGhIjKlMnOpQrStUvWxYz01",
    ),
    _k("square-token", "sq0atp-AbCdEfGhIjKlMnOpQrStUv\n", "sq0atp-AbCdEfGhIjKlMnOpQrStUv"),
    _k(
        "mailchimp-key",
        "0123456789abcdef0123456789abcdef-us6\n",
        "0123456789abcdef0123456789abcdef-us6",
    ),
    _k("artifactory-key", "AKCp" + "8jQ8vUyGRx" * 6 + "\n", "AKCp" + "8jQ8vUyGRx" * 6),
    # -- nested and decorated forms --------------------------------------------------------
    _k("yaml-flow-sequence", "tokens: [flowTokA-111, flowTokB-112]\n", "flowTokB-112"),
    _k("yaml-flow-map", "auth: {user: flowUser-113, pass: flowPass-114}\n", "flowPass-114"),
    _k("yaml-anchor", "password: &dbpw anchorPw-115\n", "anchorPw-115"),
    _k("yaml-tag", "secret: !!str taggedSec-116\n", "taggedSec-116"),
    _k(
        "json-in-json-string",
        '{"last-applied": "{\\"password\\": \\"nestedPw-117\\"}"}\n',
        "nestedPw-117",
        "json",
    ),
    _k(
        "header-in-escaped-json",
        '{"req": "{\\"Authorization\\": \\"Bearer escHdr-118\\"}"}\n',
        "escHdr-118",
        "json",
    ),
    _k(
        "k8s-dockerconfigjson",
        ".dockerconfigjson: eyJhdXRocyI6eyJyLmlvIjp7ImF1dGgiOiJrOHMtMTE5In19fQ==\n",
        "eyJhdXRocyI6eyJyLmlvIjp7ImF1dGgiOiJrOHMtMTE5In19fQ==",
    ),
    _k("cookie-sessionid", "JSESSIONID=javaSess-120\n", "javaSess-120"),
    _k(
        "kubectl-from-literal",
        "kubectl create secret generic s --from-literal=password=litPw-121\n",
        "litPw-121",
    ),
    _k("helm-set", "helm install x --set auth.rootPassword=helmPw-122\n", "helmPw-122"),
    _k("url-no-user", "redis://:redisPw-123@cache.example.com:6379/0\n", "redisPw-123"),
    _k("wpa-psk", 'psk="wifiPsk-124"\n', "wifiPsk-124"),
    _k("xml-element", "<server><id>r</id><password>xmlPw-125</password></server>\n", "xmlPw-125"),
    _k("ruby-hash-arrow", ":password => 'rubyPw-126',\n", "rubyPw-126"),
    _k("bearer-in-log", 'msg="retrying with bearer logBearer-127xyz"\n', "logBearer-127xyz"),
    _k(
        "kubeadm-certificate-key",
        "kubeadm join --certificate-key certKey128abcdef\n",
        "certKey128abcdef",
    ),
    _k("ansi-split-token", "key AKIA\x1b[0mZXCVBNMASDFGH913 in colour\n", "ZXCVBNMASDFGH913"),
    _k(
        "control-split-token",
        "ghp_\x00" + "Q1w2E3r4T5" * 3 + "Y6u7I8\n",
        "Q1w2E3r4T5" * 3 + "Y6u7I8",
    ),
    # -- netrc ------------------------------------------------------------------------------
    _k("netrc-inline", "machine h.example.com login me password netrcInl105\n", "netrcInl105"),
    _k(
        "netrc-multiline",
        "machine h.example.com\n  login me\n  password netrcMl106\n",
        "netrcMl106",
    ),
)

# ordinary configuration values that must stay readable
ORDINARY = (
    'kernel_params = "cgroup_no_v1=all systemd.unit=kata-containers.target"',
    "enable_debug = true",
    'path = "/opt/kata/bin/qemu-system-x86_64"',
    'kernel = "/opt/kata/share/kata-containers/vmlinux.container"',
    "default_memory = 2048",
    'key_file = "/etc/pki/registry.key"',
    'token_file = "/run/secrets/token"',
    'pause_image_auth_file = "/etc/crio/auth.json"',
    "use_passfd_io = true",
    "passfd_listener_port = 1050",
    'image = "docker.io/library/busybox:1.36@sha256:' + "0123456789abcdef" * 4 + '"',
    "sandbox 2f4a9c3b1e0d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a running",
    "virtiofsd --socket-path=/run/vfs.sock --shared-dir=/run/kata-containers/shared",
    "tokens: 3",
    '"auths": {',
    "Authorization header missing",
    "ssh git@github.com:kata-containers/kata-containers.git",
    "time=2026-11-25T10:00:00Z level=info msg=started",
    "--password-stdin",
    "disable_guest_seccomp = true",
    "sandbox_cgroup_only = false",
    'machine_type = "q35"',
)

/**
 * VERIFY.md: how to check a bundle with standard tools only (sh, sha256sum, openssl 3, jq, base64, find,
 * diff), for an auditor who does not want to trust the program whose output they audit. Written into
 * every bundle (listed in its manifest) and kept as docs/verify-evidence.md; a test runs these exact
 * blocks on a real bundle and on tampered ones.
 */
export const VERIFY_DOC_FILE = 'VERIFY.md'

export const VERIFY_DOC = `# Verifying this evidence bundle without firedrill

Everything below uses standard tools only: a POSIX shell, \`sha256sum\` (GNU coreutils), \`openssl\` 3
(for Ed25519), \`jq\`, \`base64\`, \`find\`, \`sort\` and \`diff\`. The blocks are one script, run
in the bundle's directory (the one holding this file; unpack a \`.tar.gz\` first with \`tar -xzf\`),
with \`PUB\` set to the signer's public key as **you** got it from the signer (never the
\`signer.pub.pem\` shipped in the bundle: whoever rewrote a bundle would ship their own). It stops at
the first check that fails, with a non-zero exit status and a line saying which. To run it as written:

    sed -n '/^\`\`\`sh$/,/^\`\`\`$/p' VERIFY.md | grep -v '^\`\`\`' > /tmp/verify-bundle.sh
    PUB=/path/to/signer.pub.pem sh /tmp/verify-bundle.sh

\`\`\`sh
set -eu
: "\${PUB:?set PUB to the signer's public key (PEM) you got from the signer}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
\`\`\`

## 1. Who signed: the key id

A key id is the SHA-256 of the public key's DER encoding. It must be the id your signer gave you, and
the one the envelope names.

\`\`\`sh
KEYID=$(openssl pkey -pubin -in "$PUB" -outform DER | sha256sum | cut -d' ' -f1)
echo "your key: $KEYID"
[ "$(jq -r '.signatures[0].keyid' attestation.dsse.json)" = "$KEYID" ] || { echo "FAIL 1: the envelope names another key: $(jq -r '.signatures[0].keyid' attestation.dsse.json)"; exit 1; }
\`\`\`

## 2. The signature (DSSE, Ed25519)

\`attestation.dsse.json\` is a DSSE envelope. What is signed is its pre-authentication encoding (PAE):
\`DSSEv1 <length of payloadType> <payloadType> <length of payload> <payload>\`, lengths in bytes, in
decimal, the payload being the base64-decoded statement.

\`\`\`sh
jq -r '.payload' attestation.dsse.json | base64 -d > "$T/statement.json"
jq -r '.signatures[0].sig' attestation.dsse.json | base64 -d > "$T/sig.bin"
TYPE=$(jq -r '.payloadType' attestation.dsse.json)
printf 'DSSEv1 %s %s %s ' "$(($(printf '%s' "$TYPE" | wc -c)))" "$TYPE" "$(($(wc -c < "$T/statement.json")))" > "$T/pae.bin"
cat "$T/statement.json" >> "$T/pae.bin"
openssl pkeyutl -verify -pubin -inkey "$PUB" -rawin -in "$T/pae.bin" -sigfile "$T/sig.bin" || { echo "FAIL 2: the signature does not verify with $PUB"; exit 1; }
\`\`\`

## 3. The signed statement names the manifest

The statement (an in-toto Statement v1) lists \`manifest.json\` and \`SHA256SUMS\` with their SHA-256.

\`\`\`sh
jq -r '.subject[] | "\\(.digest.sha256)  \\(.name)"' "$T/statement.json" > "$T/subjects"
sha256sum -c "$T/subjects" || { echo "FAIL 3: manifest.json or SHA256SUMS is not the one that was signed"; exit 1; }
\`\`\`

## 4. Every file against the manifest

\`SHA256SUMS\` holds the manifest's digests in \`sha256sum\` format; no file may be missing, changed or added.

\`\`\`sh
jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | diff - SHA256SUMS > /dev/null || { echo "FAIL 4: SHA256SUMS and manifest.json disagree"; exit 1; }
sha256sum --strict -c SHA256SUMS > "$T/checked" || { grep -v ': OK$' "$T/checked"; echo "FAIL 4: a file was changed or is missing"; exit 1; }
find . -type f ! -path ./manifest.json ! -path ./attestation.dsse.json ! -path ./signer.pub.pem ! -path ./SHA256SUMS | sed 's|^\\./||' | LC_ALL=C sort > "$T/present"
cut -c67- SHA256SUMS | LC_ALL=C sort | diff - "$T/present" || { echo "FAIL 4: files above marked > are not in the manifest"; exit 1; }
\`\`\`

## 5. The event chain

Each line of \`events.jsonl\` carries \`i\`, its position from 0, and \`prev\`, the SHA-256 of the exact
text of the line before it (64 zeros for the first): a line edited, removed or moved breaks the chain
at the line after it. A sweep's bundle (\`"kind": "sweep"\` in the manifest) has no chain of its own:
each cell's run bundle under \`cells/<run id>/\` has one, checked the same way.

\`\`\`sh
N=0
[ -f events.jsonl ] || [ "$(jq -r '.kind // "run"' manifest.json)" != run ] || { echo "FAIL 5: events.jsonl is missing"; exit 1; }
for CHAIN in events.jsonl cells/*/events.jsonl; do
  [ -f "$CHAIN" ] || continue
  PREV=0000000000000000000000000000000000000000000000000000000000000000
  I=0
  while IFS= read -r LINE; do
    [ "$(printf '%s' "$LINE" | jq -r '.prev')" = "$PREV" ] || { echo "FAIL 5: $CHAIN line $((I + 1)) does not carry the hash of the line before it"; exit 1; }
    [ "$(printf '%s' "$LINE" | jq -r '.i')" = "$I" ] || { echo "FAIL 5: $CHAIN line $((I + 1)) is numbered $(printf '%s' "$LINE" | jq -r '.i')"; exit 1; }
    PREV=$(printf '%s' "$LINE" | sha256sum | cut -d' ' -f1)
    I=$((I + 1))
  done < "$CHAIN"
  N=$((N + I))
done
\`\`\`

## 6. Done

\`\`\`sh
echo "VERIFIED: signed by key $KEYID; $(($(wc -l < SHA256SUMS))) files match; $N events chained"
\`\`\`

A period report (\`firedrill report --period P --key KEY --out DIR\`) is checked the same way; it has no
\`events.jsonl\`. Its \`period.json\` lists every bundle it summarises with the SHA-256 of that bundle's
\`manifest.json\`: for each, \`sha256sum BUNDLE/manifest.json\` must print that digest, and the bundle
must pass this procedure itself:

    jq -r '.evidence[] | "\\(.manifest_sha256)  \\(.bundle)/manifest.json"' period.json | sha256sum -c

A signature proves who signed only if you trust the key: check its id with its owner. The date the
signer claims is \`jq -r .predicate.created_at "$T/statement.json"\`; if the signer's key has been revoked,
signatures dated on or after the revocation do not count. \`firedrill evidence verify --require-signature\`
does all of the above (with the trusted keys of \`firedrill keys list\`).
`

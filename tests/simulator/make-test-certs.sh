#!/bin/sh
# Writes throwaway TLS certificates for the appliance simulator into DIR:
#   ca.pem, ca-key.pem                      the test CA clients trust
#   server.pem, server-key.pem              SAN localhost, 127.0.0.1, ::1
#   unknown-ca.pem, unknown-ca-key.pem      a second CA, trusted by no one
#   unknown-ca-server.pem, -key.pem         server certificate of that CA
#   wrong-host.pem, wrong-host-key.pem      SAN only wrong.example.test
#   expired.pem, expired-key.pem            valid 2020-01-01 to 2020-12-31
#   client.pem, client-key.pem              client certificate of the CA
# Keys are made fresh on every run and must never be committed.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

# EC keys: much faster to generate than RSA, and every TLS 1.2+ client
# accepts P-256.
new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" \
    2>/dev/null
}

new_ca() {  # name subject
  new_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days 3650 \
    -subj "$2" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# Signs a leaf certificate: name ca subject extensions
new_leaf() {
  new_key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" \
    -CAcreateserial -sha256 -days 825 -extfile "$1.ext" -out "$1.pem" \
    2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'

new_ca ca "/CN=beyondtrust_simulator test CA"
new_ca unknown-ca "/CN=beyondtrust_simulator unknown CA"

new_leaf server ca "/CN=localhost" "$server_ext"
new_leaf unknown-ca-server unknown-ca "/CN=localhost" "$server_ext"
new_leaf wrong-host ca "/CN=wrong.example.test" 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:wrong.example.test'
new_leaf client ca "/CN=beyondtrust_exporter test client" \
  'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

# OpenSSL 3.0's x509 command cannot back-date a certificate, but `openssl ca`
# takes explicit start and end dates.
new_key expired-key.pem
openssl req -new -key expired-key.pem -subj "/CN=localhost" -out expired.csr
mkdir -p ca-db
: > ca-db/index.txt
cat > ca-db/ca.cnf <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
CNF
echo 1000 > ca-db/serial
openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca-key.pem \
  -startdate 20200101000000Z -enddate 20201231000000Z \
  -in expired.csr -out expired.pem -notext 2>/dev/null
rm -rf ca-db expired.csr ca.srl unknown-ca.srl

#!/usr/bin/env bash
# Checks, without signing or uploading, what a release would publish to Maven Central.
#
# 1. Builds the published modules as the release does: mvn -Prelease -Dgpg.skip -DskipTests verify.
#    Published = the parent POM and every module that does not set <skipPublishing>true</skipPublishing>.
# 2. For each published module: the POM that would be uploaded (the flattened one for modules, the parent's own
#    for the parent), the jar, the sources jar and the javadoc jar (jar modules).
# 3. Each published POM has what Central requires (name, description, url, licenses, developers, scm) and, for the
#    modules, no parent, no profiles, no unresolved ${...}, no test dependencies and no ND4J backend or other
#    native classifier (the application chooses its backend).
# 4. dtd4j-bom manages exactly the published jar modules, at the project version.
# 5. The README's dependency snippet is the consumer integration test's dependencies (dtd-consumer-it).
#
# Usage: scripts/check-release-artifacts.sh [extra Maven arguments, e.g. -o]
set -euo pipefail
cd "$(dirname "$0")/.."

published=$(python3 - <<'EOF'
import re, xml.etree.ElementTree as ET
ns = {'m': 'http://maven.apache.org/POM/4.0.0'}
root = ET.parse('pom.xml').getroot()
mods = []
for m in root.findall('m:modules/m:module', ns):
    pom = ET.parse(f'{m.text}/pom.xml').getroot()
    skip = pom.findtext('m:properties/m:skipPublishing', default='false', namespaces=ns).strip()
    if skip != 'true':
        mods.append(m.text)
print(','.join(mods))
EOF
)
echo "check-release-artifacts: published modules: ${published//,/ } (and the parent POM)"

mvn -B -ntp "$@" -Prelease -Dgpg.skip -DskipTests -pl ".,${published}" verify

python3 - "$published" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
ns = {'m': 'http://maven.apache.org/POM/4.0.0'}
N = '{http://maven.apache.org/POM/4.0.0}'
errors = []
rootpom = ET.parse('pom.xml').getroot()
group = rootpom.findtext('m:groupId', namespaces=ns)
version = rootpom.findtext('m:version', namespaces=ns)

def text(el, path):
    return (el.findtext(path, default='', namespaces=ns) or '').strip()

def central_metadata(where, pom):
    for path in ('m:name', 'm:description', 'm:url', 'm:licenses/m:license/m:name', 'm:licenses/m:license/m:url',
                 'm:developers/m:developer/m:name', 'm:scm/m:url', 'm:scm/m:connection'):
        if not text(pom, path):
            errors.append(f'{where}: no {path.replace("m:", "")}')
    for path in ('m:name', 'm:description', 'm:url'):
        if '${' in text(pom, path):
            errors.append(f'{where}: {path[2:]} is not resolved: {text(pom, path)}')

def dep_key(d):
    excl = sorted((text(e, 'm:groupId'), text(e, 'm:artifactId')) for e in d.findall('m:exclusions/m:exclusion', ns))
    return (text(d, 'm:groupId'), text(d, 'm:artifactId'), text(d, 'm:version'), text(d, 'm:type') or 'jar',
            text(d, 'm:classifier'), text(d, 'm:scope') or 'compile', tuple(excl))

# the parent: published as written
central_metadata('pom.xml (dtd4j-parent)', rootpom)

jar_modules = []
for module in sys.argv[1].split(','):
    src = ET.parse(f'{module}/pom.xml').getroot()
    artifact = text(src, 'm:artifactId')
    packaging = text(src, 'm:packaging') or 'jar'
    flat = f'{module}/target/flattened-pom.xml'
    try:
        pom = ET.parse(flat).getroot()
    except (OSError, ET.ParseError) as e:
        errors.append(f'{module}: no published POM ({flat}): {e}')
        continue
    where = f'{module} ({flat})'
    central_metadata(where, pom)
    if text(pom, 'm:groupId') != group or text(pom, 'm:version') != version:
        errors.append(f'{where}: coordinates {text(pom, "m:groupId")}:{text(pom, "m:version")}')
    for path in ('m:parent', 'm:profiles', 'm:build'):
        if pom.find(path, ns) is not None:
            errors.append(f'{where}: still has <{path[2:]}>')
    raw = open(flat, encoding='utf-8').read()
    leftovers = set(re.findall(r'\$\{[^}]*\}', raw)) - ({'${project.version}'} if packaging == 'pom' else set())
    if leftovers:
        errors.append(f'{where}: unresolved {sorted(leftovers)}')
    for d in pom.findall('m:dependencies/m:dependency', ns):
        g, a, v, t, c, scope, _ = dep_key(d)
        coords = f'{g}:{a}:{t}:{c}:{v} ({scope})'
        if scope == 'test':
            errors.append(f'{where}: test dependency {coords}')
        if g == 'org.nd4j' and (a.startswith('nd4j-native') and a != 'nd4j-native-api' or a.startswith('nd4j-cuda')):
            errors.append(f'{where}: forces an ND4J backend: {coords}')
        if c or a.endswith('-platform'):
            errors.append(f'{where}: forces natives: {coords}')
    if packaging == 'jar':
        jar_modules.append(artifact)
        for suffix in ('', '-sources', '-javadoc'):
            jar = f'{module}/target/{artifact}-{version}{suffix}.jar'
            try:
                open(jar, 'rb').close()
            except OSError:
                errors.append(f'{module}: missing {jar}')

# the BOM manages exactly the published jar modules, at the project version
bom = ET.parse('dtd4j-bom/target/flattened-pom.xml').getroot()
managed = {}
for d in bom.findall('m:dependencyManagement/m:dependencies/m:dependency', ns):
    managed[text(d, 'm:artifactId')] = (text(d, 'm:groupId'), text(d, 'm:version'))
if bom.find('m:dependencies', ns) is not None:
    errors.append('dtd4j-bom: has <dependencies>')
for a in jar_modules:
    if a not in managed:
        errors.append(f'dtd4j-bom: does not manage the published module {a}')
    elif managed[a] not in ((group, version), (group, '${project.version}')):
        errors.append(f'dtd4j-bom: {a} at {managed[a]}')
for a in managed:
    if a not in jar_modules:
        errors.append(f'dtd4j-bom: manages {a}, which is not published')

# the README's snippet = the consumer's dependencies
it_pom = 'dtd-consumer-it/src/it/explain-onnx/pom.xml'
it = ET.fromstring(open(it_pom, encoding='utf-8').read().replace('@project.version@', version))
readme = open('README.md', encoding='utf-8').read()
marker = readme.find('<!-- dependency snippet:')
fence = readme.find('```xml', marker)
if marker < 0 or fence < 0:
    errors.append('README.md: no "<!-- dependency snippet:" marker followed by an xml block')
else:
    body = readme[fence + len('```xml'):readme.index('```', fence + 6)]
    snippet = ET.fromstring('<project xmlns="http://maven.apache.org/POM/4.0.0">' + body + '</project>')
    for path in ('m:dependencyManagement/m:dependencies/m:dependency', 'm:dependencies/m:dependency'):
        want = [dep_key(d) for d in it.findall(path, ns) if text(d, 'm:scope') != 'test']
        have = [dep_key(d) for d in snippet.findall(path, ns)]
        if want != have:
            errors.append(f'README.md snippet differs from {it_pom} in {path.replace("m:", "")}:\n'
                          f'    README: {have}\n    IT:     {want}')

if errors:
    print('check-release-artifacts: FAILED')
    for e in errors:
        print('  - ' + e)
    sys.exit(1)
print(f'check-release-artifacts: OK: parent POM, {len(jar_modules)} jar modules with jar, sources and javadoc '
      f'({", ".join(jar_modules)}), BOM consistent, README snippet = consumer IT')
EOF

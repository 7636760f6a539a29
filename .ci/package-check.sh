#!/usr/bin/env bash
# Packs the library (Dylink, Dylink.Linking, Dylink.Format) and the dylink .NET tool (Native AOT on linux-x64), installs
# the tool from the local package folder into a temporary tool path, and runs it as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=$(mktemp -d)
tools=$(mktemp -d)
cache=$(mktemp -d)   # a fresh NuGet cache, so the tool just packed is installed, not one cached under the same version
trap 'rm -rf "$packages" "$tools" "$cache"' EXIT
for project in src/Dylink.Format src/Dylink.Linking src/Dylink.Runtime src/Dylink.Cli; do
  dotnet pack "$project" -c Release --no-build -o "$packages" >/dev/null
done
# The tool's runtime-specific packages (the package above only points to them): Native AOT for linux-x64 (a few minutes
# on two cores) and the framework-dependent fallback for every other platform. The installed tool is the AOT one.
dotnet pack src/Dylink.Cli -c Release -r linux-x64 -o "$packages" >/dev/null
dotnet pack src/Dylink.Cli -c Release -r any -o "$packages" >/dev/null
ls "$packages"
NUGET_PACKAGES=$cache dotnet tool install Dylink.Tool --tool-path "$tools" --add-source "$packages" --version "$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)" >/dev/null
"$tools/dylink" --version
# On linux-x64 the install must pick the Native AOT package, not the framework-dependent fallback.
if [[ $(uname -sm) == "Linux x86_64" && $(readlink "$tools/dylink") != *dylink.tool.linux-x64* ]]; then
  echo "the installed tool is not the linux-x64 (Native AOT) package: $(readlink "$tools/dylink")"; exit 1
fi
expected=$'hello from libhello.so: x=5 ready=1\nhost: side_hello(5) returned 40'
actual=$("$tools/dylink" run examples/hello/host.wasm)
if [[ "$actual" != "$expected" ]]; then
  echo "the installed tool printed:"; echo "$actual"; exit 1
fi
echo "installed tool runs examples/hello"

# The kit travels with the tool: the installed dylink finds libc.so in it for a dylink cc-built program, and its own
# dylink cc rebuilds that program byte for byte.
actual=$("$tools/dylink" run examples/hello-kit/host.wasm)
if [[ "$actual" != "$expected" ]]; then
  echo "the installed tool printed for examples/hello-kit:"; echo "$actual"; exit 1
fi
rebuilt=$(mktemp -d)
DYLINK="$tools/dylink" examples/hello-kit/build.sh "$rebuilt"
for f in host.wasm libhello.so; do
  cmp "$rebuilt/$f" "examples/hello-kit/$f" || { echo "the installed dylink cc built another $f"; exit 1; }
done
rm -rf "$rebuilt"
echo "installed tool runs examples/hello-kit and its dylink cc rebuilds it byte for byte"

# A C# host that references the Dylink package gets the kit's libc.so in its output (docs/hosting.md) and loads a
# dylink cc-built library with it.
consumer=$(mktemp -d)
cat > "$consumer/consumer.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="Dylink" Version="$(DylinkVersion)" /></ItemGroup>
</Project>
XML
cat > "$consumer/Program.cs" <<'CS'
using Dylink.Linking;
using Dylink.Runtime;
using var linker = new DynamicLinker();
var kit = Path.Combine(AppContext.BaseDirectory, "kit", "lib", "wasm32-wasi");
linker.LoadLibraries(new LinkOptions { Libraries = [args[0]], DefaultLibraryPath = [kit] });
Console.WriteLine(linker.GetFunction<int, int>("side_hello")(5));
CS
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
# Outside the checkout, so that its Directory.Build.props and central package versions do not apply.
if ! NUGET_PACKAGES=$cache dotnet build "$consumer" -c Release -p:DylinkVersion="$version" --source "$packages" \
    --source https://api.nuget.org/v3/index.json -o "$consumer/out" >"$consumer/build.log" 2>&1; then
  cat "$consumer/build.log"; echo "a C# host of the Dylink package does not build"; exit 1
fi
[[ -f $consumer/out/kit/lib/wasm32-wasi/libc.so ]] || { echo "a host of the Dylink package has no kit/lib/wasm32-wasi/libc.so"; exit 1; }
got=$(dotnet "$consumer/out/consumer.dll" "$PWD/examples/hello-kit/libhello.so")
# The library's printf through the packaged libc.so (WASI's standard output is the host's), then the C# line.
[[ $got == $'hello from libhello.so: x=5 ready=1\n40' ]] || { echo "the C# host printed: $got"; exit 1; }
rm -rf "$consumer"
echo "a C# host of the Dylink package loads a dylink cc-built library with the packaged libc.so"

# The installed tool is Native AOT, which the test suite (JIT, in-process) does not run: it runs the end-to-end
# matrices too (every main.wasm prints exactly expected.txt and exits with expected-exit.txt, or 0).
out=$(mktemp)
failed=0
for dir in tests/fixtures/bin/{e2e,dl,real,cxx}/*/; do
  want=0
  [[ -f $dir/expected-exit.txt ]] && want=$(tr -d '[:space:]' < "$dir/expected-exit.txt")
  code=0
  "$tools/dylink" run "$dir/main.wasm" > "$out" 2>/dev/null || code=$?
  if [[ $code != "$want" ]] || ! cmp -s "$out" "$dir/expected.txt"; then
    echo "the installed tool fails $dir (exit $code, expected $want)"; failed=1
  fi
done
rm -f "$out"
((failed == 0)) && echo "installed tool runs the end-to-end matrices"
exit $failed

@echo off
rem Windows twin of pulumi-resource-pulumi-nodejs (read that file for why it exists).
setlocal
set "host=%~dp0..\..\node_modules\@pulumi\pulumi\cmd\dynamic-provider\index.js"
if not exist "%host%" (
  for /f "usebackq delims=" %%p in (`node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider/index.js'))"`) do set "host=%%p"
)
if not defined NODE_COMPILE_CACHE set "NODE_COMPILE_CACHE=%TEMP%\nats-dr-node-compile-cache"
node "%host%" %*

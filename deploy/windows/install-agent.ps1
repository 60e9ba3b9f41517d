#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Registers the aiscout endpoint agent to run at boot as SYSTEM (a Scheduled Task).
.DESCRIPTION
  Expects the agent copied to $InstallDir first (deploy/README.md, "Agent on Windows"):
    $InstallDir\bin\node.exe           Node 20
    $InstallDir\agent\dist\cli.js      the built agent, with agent\node_modules
  Configuration: %ProgramData%\aiscout\agent.json and/or HKLM\SOFTWARE\Policies\aiscout
  (docs/agent-config.md). Safe to run again: an upgrade stops the old agent and re-registers.
#>
[CmdletBinding()]
param(
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'aiscout')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$TaskPath = '\aiscout\'
$TaskName = 'aiscout-agent'
$Node = Join-Path $InstallDir 'bin\node.exe'
$Cli = Join-Path $InstallDir 'agent\dist\cli.js'
$DataDir = Join-Path $env:ProgramData 'aiscout'
$LogDir = Join-Path $DataDir 'logs'
$LogFile = Join-Path $LogDir 'agent.log'

foreach ($file in @($Node, $Cli)) {
  if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
    throw "aiscout: $file not found; copy the agent to $InstallDir first"
  }
}

# Upgrade: stop the task and the agent it started. Task Scheduler ends the process it launched
# (cmd.exe); the node.exe under it is matched by its own command line, nothing broader.
function Stop-AiscoutAgent {
  $task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -ErrorAction SilentlyContinue
  if ($null -ne $task) { Stop-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName }
  Get-CimInstance Win32_Process -Filter "Name = 'node.exe'" |
    Where-Object { $null -ne $_.CommandLine -and $_.CommandLine.Contains($Cli) } |
    ForEach-Object { Stop-Process -Id $_.ProcessId -Force -ErrorAction SilentlyContinue }
}
Stop-AiscoutAgent

# Configuration, secrets, state and logs: SYSTEM and Administrators only (docs/agent-config.md,
# Secrets). Inheritance is cut so a loose %ProgramData% ACL does not reach the files below.
New-Item -ItemType Directory -Force -Path $DataDir, $LogDir | Out-Null
& icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "aiscout: icacls on $DataDir failed ($LASTEXITCODE)" }

# node.exe is not a service binary and a task has no stderr of its own: cmd.exe appends the
# agent's JSON log lines to the log file and passes node's exit code through.
$command = '/d /s /c ""{0}" --max-semi-space-size=1 --lite-mode "{1}" run 2>>"{2}""' -f $Node, $Cli, $LogFile
$action = New-ScheduledTaskAction -Execute (Join-Path $env:SystemRoot 'System32\cmd.exe') -Argument $command -WorkingDirectory $DataDir

# At boot; and every 5 minutes, which starts the agent again if it exited (a crash, or exit 78
# before the configuration arrived) and does nothing while it runs (MultipleInstances IgnoreNew).
$atStartup = New-ScheduledTaskTrigger -AtStartup
$watch = New-ScheduledTaskTrigger -Once -At (Get-Date).Date -RepetitionInterval (New-TimeSpan -Minutes 5)

$principal = New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest

# No time limit (a daemon), run on battery, below-normal priority (7), restart if a launch fails.
$settings = New-ScheduledTaskSettingsSet `
  -ExecutionTimeLimit ([TimeSpan]::Zero) `
  -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1) `
  -MultipleInstances IgnoreNew `
  -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -DontStopOnIdleEnd -StartWhenAvailable `
  -Priority 7

Register-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName `
  -Description 'aiscout endpoint agent (AI tool discovery). deploy/README.md' `
  -Action $action -Trigger @($atStartup, $watch) -Principal $principal -Settings $settings -Force | Out-Null
Start-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName

Write-Output "aiscout: task $TaskPath$TaskName registered and started; log $LogFile"
Write-Output "aiscout: check with: & '$Node' '$Cli' status"

#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Stops the aiscout endpoint agent and removes its Scheduled Task.
.DESCRIPTION
  Leaves $InstallDir, %ProgramData%\aiscout (configuration, state, spool, logs) and the policy key
  HKLM\SOFTWARE\Policies\aiscout in place unless -RemoveData is given. The policy key belongs to
  whoever set it (Group Policy, Intune) and is never touched here.
#>
[CmdletBinding()]
param(
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'aiscout'),
  [switch]$RemoveData
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$TaskPath = '\aiscout\'
$TaskName = 'aiscout-agent'
$Cli = Join-Path $InstallDir 'agent\dist\cli.js'
$DataDir = Join-Path $env:ProgramData 'aiscout'

$task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -ErrorAction SilentlyContinue
if ($null -ne $task) {
  Stop-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName
  Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -Confirm:$false
  Write-Output "aiscout: task $TaskPath$TaskName removed"
}

# The node.exe the task started (under cmd.exe), matched by its own command line only.
Get-CimInstance Win32_Process -Filter "Name = 'node.exe'" |
  Where-Object { $null -ne $_.CommandLine -and $_.CommandLine.Contains($Cli) } |
  ForEach-Object { Stop-Process -Id $_.ProcessId -Force -ErrorAction SilentlyContinue }

if ($RemoveData) {
  # The spool may hold events not yet delivered; they are lost with it.
  if (Test-Path -LiteralPath $DataDir) { Remove-Item -LiteralPath $DataDir -Recurse -Force }
  if (Test-Path -LiteralPath $InstallDir) { Remove-Item -LiteralPath $InstallDir -Recurse -Force }
  Write-Output "aiscout: removed $DataDir and $InstallDir"
}

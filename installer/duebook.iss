; Inno Setup 6 script: the Windows installer of Duebook.
;
; Build the PyInstaller bundle first (dist\duebook\), then, from the repository root:
;
;     iscc installer\duebook.iss                      -> dist\Duebook-0.1.0-setup.exe
;     iscc /DAppVersion=0.2.0 installer\duebook.iss   (another version)
;
; It installs per user by default (no administrator rights needed; the user may choose all
; users), adds start-menu shortcuts and an uninstaller. Uninstalling removes the program, never
; the ledger in %LOCALAPPDATA%\Duebook.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Duebook"
#define AppExe "Duebook.exe"

[Setup]
AppId={{6F1C2B9E-3D4A-4C8B-9E51-2A7D0F3B8C61}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Duebook
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "german"; MessagesFile: "compiler:Languages\German.isl"
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\dist\duebook\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{#AppName} demo"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Comment: "Open Duebook on a fresh demo ledger"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Files the program writes into its own folder (none expected); the ledger lives elsewhere.
Type: filesandordirs; Name: "{app}\__pycache__"
